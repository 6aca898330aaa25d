// CUDA twins of kernels/cpu/index.h: the same signatures, the same offset arithmetic
// (kernels/index_offsets.h), queued on the current device's stream. Pointers are device
// pointers, except that sizes/strides arrays are host arrays copied into the launch by value.
// An index out of range is not read or written: the kernel reports it and the host raises
// IndexError at the next sync (Note [Errors found by kernels]). Only nonzero_count waits for
// the device (it returns the count, as PyTorch's nonzero syncs for its output size).
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/cpu/index.h"
#include "kernels/index_offsets.h"

namespace ember::kernels::cuda {

using cpu::DimIndexLoop;

void gather(DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& loop);
void scatter_add(DType dtype, void* self, const void* src, const int64_t* index, const DimIndexLoop& loop);
void index_select(DType dtype, void* out, const void* src, const int64_t* index, int64_t n, int64_t outer,
                  int64_t src_n, int64_t inner);
void index_add(DType dtype, void* self, const void* src, const int64_t* index, int64_t n, int64_t outer,
               int64_t self_n, int64_t inner);
void put_rows(DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n, int rest_ndim,
              const int64_t* rest_sizes, const int64_t* rest_strides);
void combine_indices(int64_t* out, const IndexTerms& terms, int64_t n);
int64_t nonzero_count(const bool* mask, int64_t n, int64_t* offsets);
void nonzero_fill(const bool* mask, int ndim, const int64_t* sizes, const int64_t* offsets, int64_t* out);

}  // namespace ember::kernels::cuda
