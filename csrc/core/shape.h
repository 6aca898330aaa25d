// Shapes and strides: the small arithmetic every op needs (numel, contiguous strides,
// broadcasting, wrapping negative dims) with PyTorch's error messages.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ember {

using Shape = std::vector<int64_t>;

// Loops and kernels carry dims in fixed arrays; a tensor may not have more.
constexpr int kMaxDims = 16;

// The product of the sizes, multiplied in order as PyTorch's numel is: nullopt when a partial
// product overflows int64, so (0, 2**62, 2**62) has 0 elements but (2**62, 2**62, 0) overflows
// (Note [Checked size arithmetic], core/checked_arith.h).
std::optional<int64_t> try_numel(const Shape& shape);
// try_numel, or RuntimeError "[op] numel: integer multiplication overflow" naming the shape.
int64_t shape_numel(const Shape& shape, const char* op = "numel");
// Row-major strides (a size-0 or size-1 dim counts as 1); RuntimeError "[op] Stride calculation
// overflowed" when they do not fit, which can happen only for a tensor with no elements.
Shape contiguous_strides(const Shape& shape, const char* op = "empty");
// Bytes of a contiguous tensor of `shape`; RuntimeError "[op] Storage size calculation
// overflowed" when the count does not fit in int64.
int64_t contiguous_nbytes(const char* op, const Shape& shape, int64_t itemsize);
// Bytes of storage a tensor with (sizes, strides) at element `offset` reaches into:
// itemsize * (offset + 1 + sum_d (size_d - 1) * stride_d), or 0 when it has no elements (as
// PyTorch's computeStorageNbytes); strides and offset must be non-negative. RuntimeError "[op]
// Storage size calculation overflowed" when the count does not fit in int64.
int64_t strided_nbytes(const char* op, const Shape& sizes, const Shape& strides, int64_t offset, int64_t itemsize);
std::string shape_str(const Shape& shape);  // "(3, 4)"

// Wraps a possibly negative dim into [0, ndim); IndexError names the valid range.
int64_t wrap_dim(int64_t dim, int64_t ndim);
// A dim that must name one of the tensor's dimensions (size(d), stride(d)): a 0-d tensor has none,
// though wrap_dim lets reductions take dim 0 or -1 of it.
int64_t existing_dim(int64_t dim, int64_t ndim);

// NumPy/PyTorch broadcasting of two shapes; ValueError names the op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Checks user-given sizes: at most kMaxDims dims (ValueError), no negative size (RuntimeError
// "Trying to create tensor with negative dimension").
void check_dims(const char* op, const Shape& shape);
// check_dims, and the element count fits in int64 (shape_numel's RuntimeError).
void check_sizes(const char* op, const Shape& shape);

}  // namespace ember
