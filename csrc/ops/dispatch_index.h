// Dispatch for the gather/scatter and indexing kernels (Note [One dispatch point per kernel
// family], ops/dispatch.h). The CUDA twins check indices on the device and report a bad one at
// the next sync (Note [Errors found by kernels]); on the CPU the ops check them before the call.
#pragma once
#include "kernels/cpu/index.h"
#include "ops/dispatch.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/index.h"
#endif

namespace ember::dispatch {

using kernels::IndexTerms;
using kernels::cpu::DimIndexLoop;

// A tensor's memory as T*, on whatever device it lives (Tensor::data<T>() is for host reads only).
template <typename T>
T* typed_ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

inline void gather(Device d, DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& l) {
  if (d.is_cpu()) return kernels::cpu::gather(dtype, out, src, index, l);
  EMBER_CUDA_TWIN(d, gather, dtype, out, src, index, l);
}

inline void scatter_add(Device d, DType dtype, void* self, const void* src, const int64_t* index,
                        const DimIndexLoop& l) {
  if (d.is_cpu()) return kernels::cpu::scatter_add(dtype, self, src, index, l);
  EMBER_CUDA_TWIN(d, scatter_add, dtype, self, src, index, l);
}

inline void index_select(Device d, DType dtype, void* out, const void* src, const int64_t* index, int64_t n,
                         int64_t outer, int64_t src_n, int64_t inner) {
  if (d.is_cpu()) return kernels::cpu::index_select(dtype, out, src, index, n, outer, src_n, inner);
  EMBER_CUDA_TWIN(d, index_select, dtype, out, src, index, n, outer, src_n, inner);
}

inline void index_add(Device d, DType dtype, void* self, const void* src, const int64_t* index, int64_t n,
                      int64_t outer, int64_t self_n, int64_t inner) {
  if (d.is_cpu()) return kernels::cpu::index_add(dtype, self, src, index, n, outer, self_n, inner);
  EMBER_CUDA_TWIN(d, index_add, dtype, self, src, index, n, outer, self_n, inner);
}

inline void put_rows(Device d, DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n,
                     int rest_ndim, const int64_t* rest_sizes, const int64_t* rest_strides) {
  if (d.is_cpu()) return kernels::cpu::put_rows(dtype, dst, src, offsets, n, rest_ndim, rest_sizes, rest_strides);
  EMBER_CUDA_TWIN(d, put_rows, dtype, dst, src, offsets, n, rest_ndim, rest_sizes, rest_strides);
}

inline void combine_indices(Device d, int64_t* out, const IndexTerms& terms, int64_t n) {
  if (d.is_cpu()) return kernels::cpu::combine_indices(out, terms, n);
  EMBER_CUDA_TWIN(d, combine_indices, out, terms, n);
}

// The CUDA twin reads the count back: a sync, as PyTorch's nonzero has.
inline int64_t nonzero_count(Device d, const bool* mask, int64_t n, int64_t* offsets) {
  if (d.is_cpu()) return kernels::cpu::nonzero_count(mask, n, offsets);
#ifdef EMBER_WITH_CUDA
  ::ember::cuda::use_device(d.index);
  return kernels::cuda::nonzero_count(mask, n, offsets);
#else
  ::ember::cuda::check_device("nonzero", d);
  return 0;
#endif
}

inline void nonzero_fill(Device d, const bool* mask, int ndim, const int64_t* sizes, const int64_t* offsets,
                         int64_t* out) {
  if (d.is_cpu()) return kernels::cpu::nonzero_fill(mask, ndim, sizes, offsets, out);
  EMBER_CUDA_TWIN(d, nonzero_fill, mask, ndim, sizes, offsets, out);
}

}  // namespace ember::dispatch
