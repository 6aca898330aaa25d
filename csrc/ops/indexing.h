// Python-style indexing, x[...] and x[...] = v, as a list of parsed index items. The bindings turn
// Python objects (int, slice, None, Ellipsis, Tensor, list) into TensorIndex; everything else is here.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace ember {

struct TensorIndex {
  enum class Kind { Int, Slice, None, Ellipsis, Tensor };
  Kind kind;
  int64_t value = 0;                      // Int
  int64_t start = 0, stop = 0, step = 1;  // Slice (bounds clamped like Python's)
  Tensor tensor;                          // Tensor: int64 (advanced indexing) or bool (a mask)

  static TensorIndex integer(int64_t v) { return {Kind::Int, v, 0, 0, 1, Tensor()}; }
  static TensorIndex range(int64_t start, int64_t stop, int64_t step) {
    return {Kind::Slice, 0, start, stop, step, Tensor()};
  }
  static TensorIndex none() { return {Kind::None, 0, 0, 0, 1, Tensor()}; }
  static TensorIndex ellipsis() { return {Kind::Ellipsis, 0, 0, 0, 1, Tensor()}; }
  static TensorIndex of(Tensor t) { return {Kind::Tensor, 0, 0, 0, 1, std::move(t)}; }
};

// self[indices]: a view for basic indexing (ints, slices, None, ...), a copy when a tensor index
// takes part (PyTorch's advanced indexing, differentiable through index_select).
Tensor index(const Tensor& self, const std::vector<TensorIndex>& indices);
// self[indices] = value, in place (value broadcast to the indexed region and cast to self's dtype).
void index_put_(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value);

}  // namespace ember
