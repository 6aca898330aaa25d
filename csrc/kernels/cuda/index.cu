// CUDA twins of the gather/scatter and indexing kernels (kernels/index.h). One thread per
// element with grid-stride loops; offsets come from kernels/index_offsets.h, the arithmetic the
// CPU kernels use. The scatters add with atomics, so duplicate indices accumulate (in an order
// that varies from run to run for floats, as PyTorch's CUDA scatter_add/index_add).
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/cuda_backend.h"
#include "kernels/cuda/kernel_error.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/index.h"

namespace ember::kernels::cuda {

namespace {

using ember::cuda::KernelErrorReport;

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
}

// The report of the current device (EMBER_CUDA_TWIN selected it before calling the twin).
KernelErrorReport* device_report() { return ember::cuda::kernel_error_report(ember::cuda::current_device()); }

// Gathers and selects only move elements: one instantiation per element size, not per dtype.
template <typename F>
void by_itemsize(DType dtype, F&& f) {
  switch (itemsize(dtype)) {
    case 1: return f(uint8_t{});
    case 4: return f(uint32_t{});
    default: return f(uint64_t{});
  }
}

template <typename F>
void by_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    case DType::Int32: return f(int32_t{});
    case DType::Bool: return f(bool{});
  }
}

__device__ inline void add_to(float* p, float v) { atomicAdd(p, v); }
__device__ inline void add_to(double* p, double v) { atomicAdd(p, v); }
// Two's complement addition is the same bits as unsigned addition.
__device__ inline void add_to(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
__device__ inline void add_to(int32_t* p, int32_t v) { atomicAdd(p, v); }
// bool + bool is "or" (as the CPU kernel's +=): every thread that writes stores the same byte.
__device__ inline void add_to(bool* p, bool v) {
  if (v) *p = true;
}

// self = scatter_combine(op, self, v) as one atomic step: a compare-and-swap loop on the word
// holding self (4 or 8 bytes). A bool's combinations are "or" (sum, amax) and "and" (prod, amin):
// only a thread that sets the absorbing value stores, so racing writers of the byte agree.
template <typename T>
__device__ inline void combine_into(ScatterReduce op, T* p, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    switch (op) {
      case ScatterReduce::Assign: *p = v; return;
      case ScatterReduce::Sum:
      case ScatterReduce::Amax: if (v) *p = true; return;
      case ScatterReduce::Prod:
      case ScatterReduce::Amin: if (!v) *p = false; return;
    }
  } else {
    if (op == ScatterReduce::Assign) {
      *p = v;
      return;
    }
    if (op == ScatterReduce::Sum) return add_to(p, v);
    using W = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
    static_assert(sizeof(W) == sizeof(T), "scatter_reduce combines 4- or 8-byte elements");
    W* word = reinterpret_cast<W*>(p);
    W old = *word, assumed;
    do {
      assumed = old;
      T cur, next;
      memcpy(&cur, &assumed, sizeof(T));
      next = scatter_combine(op, cur, v);
      W desired;
      memcpy(&desired, &next, sizeof(T));
      if (desired == assumed) return;
      old = atomicCAS(word, assumed, desired);
    } while (old != assumed);
  }
}

template <typename T>
__global__ void gather_kernel(T* out, const T* src, const int64_t* index, const DimIndexShape s,
                              KernelErrorReport* report, const char* op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < s.loop.numel; k += step) {
    const int64_t j = index[k];
    if (!check_index(report, op, j, s.dim_size)) continue;
    out[k] = src[block_offset(s.loop, k) + j * s.dim_stride];
  }
}

template <typename T>
__global__ void scatter_add_kernel(T* self, const T* src, const int64_t* index, const DimIndexShape s,
                                   KernelErrorReport* report, const char* op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < s.loop.numel; k += step) {
    const int64_t j = index[k];
    if (!check_index(report, op, j, s.dim_size)) continue;
    add_to(self + block_offset(s.loop, k) + j * s.dim_stride, src[k]);
  }
}

template <typename T>
__global__ void scatter_reduce_kernel(ScatterReduce op, T* self, const T* src, const int64_t* index,
                                      const DimIndexShape s, KernelErrorReport* report, const char* name) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < s.loop.numel; k += step) {
    const int64_t j = index[k];
    if (!check_index(report, name, j, s.dim_size)) continue;
    combine_into(op, self + block_offset(s.loop, k) + j * s.dim_stride, src[k]);
  }
}

// out[o, j, i] = src[o, index[j], i] over out's [outer, n, inner] elements.
template <typename T>
__global__ void index_select_kernel(T* out, const T* src, const int64_t* index, int64_t total, int64_t n,
                                    int64_t src_n, int64_t inner, KernelErrorReport* report, const char* op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    int64_t o, j, i;
    split_rows(e, n, inner, o, j, i);
    const int64_t row = index[j];
    if (!check_index(report, op, row, src_n)) continue;
    out[e] = src[row_offset(o, row, src_n, inner, i)];
  }
}

// self[o, index[j], i] += src[o, j, i] over src's [outer, n, inner] elements.
template <typename T>
__global__ void index_add_kernel(T* self, const T* src, const int64_t* index, int64_t total, int64_t n,
                                 int64_t self_n, int64_t inner, KernelErrorReport* report, const char* op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    int64_t o, j, i;
    split_rows(e, n, inner, o, j, i);
    const int64_t row = index[j];
    if (!check_index(report, op, row, self_n)) continue;
    add_to(self + row_offset(o, row, self_n, inner, i), src[e]);
  }
}

// A combined index that was out of range: reported, and its row skipped by every later kernel
// (index_select reports it too, but the first report is the one raised).
constexpr int64_t kSkippedRow = -1;

// dst[offsets[r] + rest(k)] = src[r * rest.numel + k]; the offsets were range-checked when combined.
template <typename T>
__global__ void put_rows_kernel(T* dst, const T* src, const int64_t* offsets, int64_t total, const StridedBlock rest) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t row = offsets[e / rest.numel];
    if (row != kSkippedRow) dst[row + block_offset(rest, e % rest.numel)] = src[e];
  }
}

// A bad index is reported and its element gets kSkippedRow: x[bad] = v must write nothing (a
// stand-in offset such as 0 would overwrite the first element before the IndexError is raised).
__global__ void combine_indices_kernel(int64_t* out, const IndexTerms terms, int64_t n, KernelErrorReport* report,
                                       const char* op) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    int64_t v = 0;
    const int bad = combine_index(terms, e, v);
    if (bad >= 0) {
      report_bad_index(report, op, terms.index[bad][e], terms.size[bad]);
      v = kSkippedRow;
    }
    out[e] = v;
  }
}

// Note [nonzero in chunks] (kernels/index_offsets.h): block b counts chunk b into offsets[b + 1]
// (tiles of blockDim.x elements, counted by the barrier itself), ...
__global__ void nonzero_count_kernel(const bool* mask, int64_t n, int64_t chunk, int64_t* offsets) {
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * chunk, end = n < begin + chunk ? n : begin + chunk;
  int64_t count = 0;
  for (int64_t tile = begin; tile < end; tile += blockDim.x) {  // the same trip count in every thread
    const int64_t k = tile + threadIdx.x;
    count += __syncthreads_count(k < end && mask[k]);
  }
  if (threadIdx.x == 0) offsets[blockIdx.x + 1] = count;
}

// ... one block of kNonzeroMaxBlocks threads turns the counts into running sums (offsets[b] is
// then chunk b's first output row, offsets[blocks] the total) ...
__global__ void nonzero_scan_kernel(int64_t* offsets, int64_t blocks) {
  __shared__ int64_t sums[kNonzeroMaxBlocks];
  const int t = threadIdx.x;
  sums[t] = t < blocks ? offsets[t + 1] : 0;
  __syncthreads();
  for (int d = 1; d < kNonzeroMaxBlocks; d <<= 1) {  // Hillis-Steele inclusive scan
    const int64_t add = t >= d ? sums[t - d] : 0;
    __syncthreads();
    sums[t] += add;
    __syncthreads();
  }
  if (t < blocks) offsets[t + 1] = sums[t];
  if (t == 0) offsets[0] = 0;
}

struct MaskShape {
  int ndim;
  int64_t sizes[kMaxDims];
};

// ... and block b writes chunk b's coordinates from row offsets[b] on, in order: within a tile,
// a true element's row is the count of true elements before it (warp ballots, then warp totals).
__global__ void nonzero_fill_kernel(const bool* mask, int64_t n, int64_t chunk, const int64_t* offsets,
                                    const MaskShape s, int64_t* out) {
  __shared__ int warp_counts[kThreads / 32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * chunk, end = n < begin + chunk ? n : begin + chunk;
  int64_t row = offsets[blockIdx.x];
  for (int64_t tile = begin; tile < end; tile += blockDim.x) {
    const int64_t k = tile + threadIdx.x;
    const bool hit = k < end && mask[k];
    const unsigned ballot = __ballot_sync(0xffffffffu, hit);
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    int64_t mine = row + __popc(ballot & ((1u << lane) - 1u)), tile_total = 0;
    for (int w = 0; w < kThreads / 32; ++w) {
      if (w < warp) mine += warp_counts[w];
      tile_total += warp_counts[w];
    }
    if (hit) unravel_index(s.ndim, s.sizes, k, out + s.ndim * mine);
    __syncthreads();  // warp_counts is rewritten by the next tile
    row += tile_total;
  }
}

}  // namespace

void gather(DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  if (s.loop.numel == 0) return;
  by_itemsize(dtype, [&](auto zero) {
    using T = decltype(zero);
    gather_kernel<<<grid_for(s.loop.numel), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<T*>(out), static_cast<const T*>(src), index, s, device_report(), "gather");
    EMBER_CUDA_CHECK_LAUNCH("gather");
  });
}

void scatter_add(DType dtype, void* self, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  if (s.loop.numel == 0) return;
  by_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    scatter_add_kernel<<<grid_for(s.loop.numel), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<T*>(self), static_cast<const T*>(src), index, s, device_report(), "scatter_add");
    EMBER_CUDA_CHECK_LAUNCH("scatter_add");
  });
}

void scatter_reduce(DType dtype, ScatterReduce op, void* self, const void* src, const int64_t* index,
                    const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  if (s.loop.numel == 0) return;
  by_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    scatter_reduce_kernel<<<grid_for(s.loop.numel), kThreads, 0, ember::cuda::current_stream()>>>(
        op, static_cast<T*>(self), static_cast<const T*>(src), index, s, device_report(), "scatter_reduce");
    EMBER_CUDA_CHECK_LAUNCH("scatter_reduce");
  });
}

void index_select(DType dtype, void* out, const void* src, const int64_t* index, int64_t n, int64_t outer,
                  int64_t src_n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total == 0) return;
  by_itemsize(dtype, [&](auto zero) {
    using T = decltype(zero);
    index_select_kernel<<<grid_for(total), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<T*>(out), static_cast<const T*>(src), index, total, n, src_n, inner, device_report(),
        "index_select");
    EMBER_CUDA_CHECK_LAUNCH("index_select");
  });
}

void index_add(DType dtype, void* self, const void* src, const int64_t* index, int64_t n, int64_t outer,
               int64_t self_n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total == 0) return;
  by_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    index_add_kernel<<<grid_for(total), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<T*>(self), static_cast<const T*>(src), index, total, n, self_n, inner, device_report(),
        "index_add");
    EMBER_CUDA_CHECK_LAUNCH("index_add");
  });
}

void put_rows(DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n, int rest_ndim,
              const int64_t* rest_sizes, const int64_t* rest_strides) {
  const StridedBlock rest = make_block(rest_ndim, rest_sizes, rest_strides);
  const int64_t total = n * rest.numel;
  if (total == 0) return;
  by_itemsize(dtype, [&](auto zero) {
    using T = decltype(zero);
    put_rows_kernel<<<grid_for(total), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<T*>(dst), static_cast<const T*>(src), offsets, total, rest);
    EMBER_CUDA_CHECK_LAUNCH("put_rows");
  });
}

void combine_indices(int64_t* out, const IndexTerms& terms, int64_t n) {
  if (n == 0) return;
  combine_indices_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(out, terms, n, device_report(),
                                                                                       "index");
  EMBER_CUDA_CHECK_LAUNCH("combine_indices");
}

int64_t nonzero_count(const bool* mask, int64_t n, int64_t* offsets) {
  const int64_t blocks = nonzero_blocks(n);
  if (blocks == 0) return 0;  // the op's offsets[0] is never read: nothing to fill
  cudaStream_t stream = ember::cuda::current_stream();
  nonzero_count_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(mask, n, nonzero_chunk(n), offsets);
  EMBER_CUDA_CHECK_LAUNCH("nonzero_count");
  nonzero_scan_kernel<<<1, kNonzeroMaxBlocks, 0, stream>>>(offsets, blocks);
  EMBER_CUDA_CHECK_LAUNCH("nonzero_scan");
  int64_t total = 0;
  const Device device{DeviceType::CUDA, ember::cuda::current_device()};
  ember::cuda::copy_bytes(&total, cpu_device(), offsets + blocks, device, sizeof(int64_t));  // the one sync
  return total;
}

void nonzero_fill(const bool* mask, int ndim, const int64_t* sizes, const int64_t* offsets, int64_t* out) {
  MaskShape s{ndim, {}};
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= (s.sizes[d] = sizes[d]);
  const int64_t blocks = nonzero_blocks(n);
  if (blocks == 0 || ndim == 0) return;
  nonzero_fill_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, ember::cuda::current_stream()>>>(
      mask, n, nonzero_chunk(n), offsets, s, out);
  EMBER_CUDA_CHECK_LAUNCH("nonzero_fill");
}

}  // namespace ember::kernels::cuda
