// CUDA twin of kernels::cpu::softmax: softmax / log_softmax over the middle axis of a contiguous
// [outer, dim, inner] block.
// inner == 1 (the last dim): a warp per row, or a block per row of at least kBlockRowMin
// elements. Each thread folds its elements into an online max and sum (Note [Online logsumexp]),
// the group merges them by shuffles, and a second read of the row writes the result.
// inner > 1: a thread per (outer, inner) column walks the dim with stride inner; neighbouring
// threads read neighbouring columns, so the reads are coalesced.
// A row's sum accumulates in the element type (float for float32, as PyTorch's CUDA softmax does;
// each thread adds at most dim / 32 terms before the tree merge); a column's, added by one
// thread from end to end, in double.
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/softmax.h"

namespace ember::kernels::cuda {

namespace {

template <typename A>
struct LseState {
  A m, s;
};

template <typename A>
struct LseMerge {
  __device__ LseState<A> operator()(LseState<A> a, LseState<A> b) const {
    online_lse_merge(a.m, a.s, b.m, b.s);
    return a;
  }
};

template <typename A>
__device__ __forceinline__ LseState<A> shfl_xor(LseState<A> v, int lane_mask) {
  // Qualified: this overload hides the scalar ones from unqualified lookup here.
  return {cuda::shfl_xor(v.m, lane_mask), cuda::shfl_xor(v.s, lane_mask)};
}

// Note [Softmax with +inf]: the CPU twin (and PyTorch) subtract the row max and sum exp(x - m),
// which for a max of +inf includes exp(inf - inf) = NaN: the whole row is NaN. The online sum
// skips that term, so a +inf max is turned into a NaN sum here to give the same answer.
template <typename A>
__device__ __forceinline__ A normaliser(const LseState<A>& st) {
  return st.m == infinity_of<A>() ? A(NAN) : st.s;
}

// The state may be wider than the elements (A = double for float32 columns); m is one of the
// elements, so it converts back exactly.
template <typename T, typename A>
__device__ __forceinline__ void write_row(bool log, T* o, const T* x, int64_t lo, int64_t n, int64_t step,
                                          LseState<A> st) {
  const A s = normaliser(st);
  const T m = static_cast<T>(st.m);
  if (log) {
    const T log_s = static_cast<T>(std::log(s));
    for (int64_t k = lo; k < n; k += step) o[k] = (x[k] - m) - log_s;
  } else {
    const T inv = static_cast<T>(A(1) / s);
    for (int64_t k = lo; k < n; k += step) o[k] = std::exp(x[k] - m) * inv;
  }
}

template <typename A, typename T>
__device__ __forceinline__ LseState<A> fold(const T* x, int64_t lo, int64_t n, int64_t step) {
  LseState<A> st{-infinity_of<A>(), A(0)};
  for (int64_t k = lo; k < n; k += step) online_lse_add(st.m, st.s, static_cast<A>(x[k]));
  return st;
}

template <typename T>
__global__ void softmax_rows_warp(bool log, T* out, const T* in, int64_t outer, int64_t dim) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_block = blockDim.x / kWarp;
  const int64_t step = warps_per_block * gridDim.x;
  for (int64_t row = blockIdx.x * warps_per_block + threadIdx.x / kWarp; row < outer; row += step) {
    const T* x = in + row * dim;
    LseState<T> st = warp_allreduce(fold<T>(x, lane, dim, kWarp), LseMerge<T>{});
    write_row(log, out + row * dim, x, lane, dim, kWarp, st);
  }
}

template <typename T>
__global__ void softmax_rows_block(bool log, T* out, const T* in, int64_t outer, int64_t dim) {
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    const T* x = in + row * dim;
    LseState<T> st = block_allreduce(fold<T>(x, threadIdx.x, dim, blockDim.x), LseMerge<T>{});
    write_row(log, out + row * dim, x, threadIdx.x, dim, blockDim.x, st);
  }
}

template <typename T>
__global__ void softmax_columns(bool log, T* out, const T* in, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t n = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < n; c += step) {
    const int64_t base = (c / inner) * dim * inner + c % inner;
    const T* x = in + base;
    const int64_t end = dim * inner;
    // One thread adds the whole column in sequence, so its sum is kept in double.
    write_row(log, out + base, x, 0, end, inner, fold<double>(x, 0, end, inner));
  }
}

}  // namespace

void softmax(DType dtype, bool log, void* out, const void* x, int64_t outer, int64_t dim, int64_t inner) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, log ? "log_softmax" : "softmax", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* in = static_cast<const scalar_t*>(x);
    cudaStream_t stream = ember::cuda::current_stream();
    if (inner > 1) {
      softmax_columns<<<grid_for(outer * inner, kThreads), kThreads, 0, stream>>>(log, o, in, outer, dim, inner);
    } else if (dim < kBlockRowMin) {
      softmax_rows_warp<<<grid_for(outer, kThreads / kWarp), kThreads, 0, stream>>>(log, o, in, outer, dim);
    } else {
      softmax_rows_block<<<grid_for(outer, 1), kThreads, 0, stream>>>(log, o, in, outer, dim);
    }
    EMBER_CUDA_CHECK_LAUNCH(log ? "log_softmax" : "softmax");
  });
}

}  // namespace ember::kernels::cuda
