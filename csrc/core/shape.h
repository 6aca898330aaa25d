// Shapes and strides: the small arithmetic every op needs (numel, contiguous strides,
// broadcasting, wrapping negative dims) with PyTorch's error messages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ember {

using Shape = std::vector<int64_t>;

// Loops and kernels carry dims in fixed arrays; a tensor may not have more.
constexpr int kMaxDims = 16;

int64_t shape_numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);  // "(3, 4)"

// Wraps a possibly negative dim into [0, ndim); IndexError names the valid range.
int64_t wrap_dim(int64_t dim, int64_t ndim);
// A dim that must name one of the tensor's dimensions (size(d), stride(d)): a 0-d tensor has none,
// though wrap_dim lets reductions take dim 0 or -1 of it.
int64_t existing_dim(int64_t dim, int64_t ndim);

// NumPy/PyTorch broadcasting of two shapes; ValueError names the op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Checks user-given sizes (no negatives, at most kMaxDims dims, numel fits in int64).
void check_sizes(const char* op, const Shape& shape);

}  // namespace ember
