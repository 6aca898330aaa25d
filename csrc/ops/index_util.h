// Shared by the ops that gather or scatter along one dim by an int64 index (index_along_dim.cpp,
// scatter_reduce.cpp): their argument checks, the block of src a scatter reads, and the loop the
// kernels walk.
#pragma once
#include "core/tensor.h"
#include "kernels/index.h"
#include "ops/ops.h"

namespace ember {

// Checks every value of an int64 index lies in [0, size) (no wrapping, as PyTorch's gather).
// On the CPU only: a CUDA kernel checks its indices itself (Note [Errors found by kernels]), so
// the host never waits for the device to read them.
void check_index_range(const char* op, const Tensor& index, int64_t dim, int64_t size);

// The index as a contiguous int64 tensor; RuntimeError for another dtype.
Tensor checked_index(const char* op, const Tensor& index);

// gather / scatter share their shape rules: index has t's number of dims and is no larger than t
// in any dim but `dim`, nor larger than `values` (when defined) in any dim.
void check_dim_index(const char* op, const Tensor& t, int64_t dim, const Tensor& index, const Tensor& values);

// The leading index-shaped corner of src, contiguous, without autograd: what a scatter kernel
// reads (src may be larger than the index in any dim).
Tensor index_shaped_block(const Tensor& src, const Tensor& index);

// g (the gradient of that corner) padded with zeros to `shape` (src's); differentiable.
Tensor pad_to_shape(const Tensor& g, const Shape& shape);

// The index-shaped loop over `out` (contiguous) along `dim`; `sizes` and `strides` hold the
// arrays the loop points at, so they must outlive it.
kernels::DimIndexLoop dim_index_loop(const Tensor& out, int64_t dim, const Tensor& index, Shape& sizes,
                                     Shape& strides);

}  // namespace ember
