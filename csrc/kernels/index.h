// Gathering and scattering along one dim: kernels/cpu/index.cpp and its CUDA twin
// kernels/cuda/index.cu. Raw pointers, sizes and strides in element units; their offset
// arithmetic is shared (kernels/index_offsets.h). On the CPU, index buffers are contiguous int64
// already checked to be in range; the CUDA twins check them on the device instead: an index out
// of range is not read or written, the kernel reports it and the host raises IndexError at the
// next sync (Note [Errors found by kernels]). On CUDA, pointers are device pointers, except that
// sizes/strides arrays are host arrays copied into the launch by value, and only nonzero_count
// waits for the device (it returns the count, as PyTorch's nonzero syncs for its output size).
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "kernels/index_offsets.h"
#include "kernels/twins.h"

namespace ember::kernels {

// Index-shaped iteration for gather/scatter_add: `sizes` (ndim dims) is the index's shape,
// `other_strides` the strides of the tensor indexed along `dim` (its other dims are at least as
// large as the index's), and values/index are contiguous over `sizes`.
struct DimIndexLoop {
  int ndim, dim;
  const int64_t* sizes;
  const int64_t* other_strides;
  int64_t dim_size;  // the other tensor's size along dim: indices lie in [0, dim_size)
};
// The same loop as plain numbers (kernels/index_offsets.h), as the kernels and twins walk it.
inline DimIndexShape dim_index_shape(const DimIndexLoop& l) {
  return {make_block(l.ndim, l.sizes, l.other_strides, l.dim), l.dim_size, l.other_strides[l.dim]};
}

// What scatter_reduce does with each src element and the self element it lands on (scatter's
// plain write is Assign; mean is Sum and a division, in ops/scatter_reduce.cpp).
enum class ScatterReduce : uint8_t { Assign, Sum, Prod, Amax, Amin };

// The combination, as PyTorch's CPU kernel does it: int64 wraps; bool sums are "or" and products
// "and"; a NaN src wins a max/min, and between self and an equal (or NaN) self the max/min keeps
// self (std::max(self, src)).
template <class T>
EMBER_HD inline T scatter_combine(ScatterReduce op, T self, T src) {
  if constexpr (std::is_floating_point_v<T>) {
    if ((op == ScatterReduce::Amax || op == ScatterReduce::Amin) && src != src) return src;
  }
  switch (op) {
    case ScatterReduce::Assign: return src;
    case ScatterReduce::Sum:
      if constexpr (std::is_same_v<T, bool>) return self || src;
      else if constexpr (std::is_integral_v<T>) return T(uint64_t(self) + uint64_t(src));
      else return self + src;
    case ScatterReduce::Prod:
      if constexpr (std::is_same_v<T, bool>) return self && src;
      else if constexpr (std::is_integral_v<T>) return T(uint64_t(self) * uint64_t(src));
      else return self * src;
    case ScatterReduce::Amax: return self < src ? src : self;
    case ScatterReduce::Amin: return src < self ? src : self;
  }
  return src;
}

}  // namespace ember::kernels

#define EMBER_INDEX_KERNELS                                                                         \
  /* out[k] = src[.. index[k] along dim ..] */                                                      \
  void gather(DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& loop); \
  /* self[.. index[k] along dim ..] += src[k] */                                                    \
  void scatter_add(DType dtype, void* self, const void* src, const int64_t* index, const DimIndexLoop& loop); \
  /* self[.. index[k] along dim ..] = scatter_combine(op, self[..], src[k]): on the CPU for k in     \
     order (of duplicates, Assign keeps the last); on CUDA in no set order (atomics). */            \
  void scatter_reduce(DType dtype, ScatterReduce op, void* self, const void* src, const int64_t* index, \
                      const DimIndexLoop& loop);                                                    \
  /* Contiguous [outer, n, inner] views: out[o, j, :] = src[o, index[j], :]                         \
     (src is [outer, src_n, inner]). */                                                             \
  void index_select(DType dtype, void* out, const void* src, const int64_t* index, int64_t n, int64_t outer, \
                    int64_t src_n, int64_t inner);                                                  \
  /* self[o, index[j], :] += src[o, j, :] (self is [outer, self_n, inner], src is [outer, n, inner]). */ \
  void index_add(DType dtype, void* self, const void* src, const int64_t* index, int64_t n, int64_t outer, \
                 int64_t self_n, int64_t inner);                                                    \
  /* For each row r < n: dst[offsets[r] + rest(e)] = src[r * rest_numel + e], where rest(e) is the  \
     element offset of the e-th element of a block with `rest_sizes`/`rest_strides` (index_put). */ \
  void put_rows(DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n, int rest_ndim, \
                const int64_t* rest_sizes, const int64_t* rest_strides);                            \
  /* out[e] = the combined offset of element e of the broadcast index tensors (IndexTerms), for     \
     e < n; an index out of [-size, size) raises IndexError naming its dim (Python indexing). */    \
  void combine_indices(int64_t* out, const IndexTerms& terms, int64_t n);                           \
  /* nonzero in two steps (Note [nonzero in chunks]): count the true elements of a contiguous mask  \
     of n elements, writing each chunk's first output row to offsets (nonzero_blocks(n) + 1         \
     entries, the last one the total), and return the total; then write the coordinates of the     \
     true elements of the mask, of shape `sizes`, into out ([total, ndim], row-major). */           \
  int64_t nonzero_count(const bool* mask, int64_t n, int64_t* offsets);                             \
  void nonzero_fill(const bool* mask, int ndim, const int64_t* sizes, const int64_t* offsets, int64_t* out);

EMBER_DECLARE_TWINS(EMBER_INDEX_KERNELS)
