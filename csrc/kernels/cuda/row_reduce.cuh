// Row reductions on the GPU: warp and block all-reduce by shuffles, and one generic launcher that
// reduces each row of a contiguous [outer, inner] block with a small "reducer" struct:
//   using acc_t;                                    what a row folds into (double, int64, ArgExtreme)
//   acc_t identity() const;                         the fold of nothing
//   acc_t load(int64_t row, int64_t j) const;       element j of row `row`, as an acc_t
//   acc_t combine(acc_t a, acc_t b) const;          symmetric: combine(a, b) == combine(b, a)
//   void store(int64_t row, acc_t total) const;     writes the row's result
// Note [Row reduction shapes]: a row of fewer than 32 elements gets one thread (more lanes would
// idle), a row of up to kBlockRowMin elements one warp, a longer row one block. When there are
// too few rows to fill the GPU with blocks (the sum of a whole tensor is one row), each row is
// cut into chunks reduced by separate blocks into a partial buffer from ember's pool, and a
// second kernel folds each row's partials. The combine is symmetric and every fold has a fixed
// shape, so a result does not depend on timing: the same input gives the same bits every run.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "core/cuda/cuda_check.h"
#include "core/cuda_backend.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/reduce_functors.h"

namespace ember::kernels::cuda {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarp = 32;
constexpr int64_t kBlockRowMin = 2048;  // rows at least this long get a block each
constexpr int64_t kTargetBlocks = 1024;  // enough blocks to fill any current GPU several times

__device__ __forceinline__ double shfl_xor(double v, int lane_mask) { return __shfl_xor_sync(kFullMask, v, lane_mask); }
__device__ __forceinline__ float shfl_xor(float v, int lane_mask) { return __shfl_xor_sync(kFullMask, v, lane_mask); }
__device__ __forceinline__ int64_t shfl_xor(int64_t v, int lane_mask) {
  return static_cast<int64_t>(__shfl_xor_sync(kFullMask, static_cast<long long>(v), lane_mask));
}
__device__ __forceinline__ int32_t shfl_xor(int32_t v, int lane_mask) { return __shfl_xor_sync(kFullMask, v, lane_mask); }
__device__ __forceinline__ bool shfl_xor(bool v, int lane_mask) {
  return __shfl_xor_sync(kFullMask, static_cast<int>(v), lane_mask) != 0;
}
template <typename T>
__device__ __forceinline__ ArgExtreme<T> shfl_xor(ArgExtreme<T> v, int lane_mask) {
  return {shfl_xor(v.value, lane_mask), shfl_xor(v.index, lane_mask)};
}

// Every lane of the warp gets the warp's total. A butterfly: at each step lanes i and i^m
// combine the same two values, so with a symmetric combine all lanes hold the same bits.
template <typename Acc, typename Combine>
__device__ __forceinline__ Acc warp_allreduce(Acc a, const Combine& combine) {
  for (int m = kWarp / 2; m > 0; m >>= 1) a = combine(a, shfl_xor(a, m));
  return a;
}

// Every thread of the block gets the block's total (blockDim.x a multiple of 32, at most 1024).
// Safe to call repeatedly: it ends with a barrier before its shared slots are reused.
template <typename Acc, typename Combine>
__device__ Acc block_allreduce(Acc a, const Combine& combine) {
  constexpr int kSlotBytes = 32;  // the largest accumulator: cross_entropy's (max, sum, sum of logits)
  __shared__ __align__(16) unsigned char slots_raw[kWarp * kSlotBytes];
  static_assert(sizeof(Acc) <= kSlotBytes, "block_allreduce: accumulator too large for its shared slots");
  Acc* slots = reinterpret_cast<Acc*>(slots_raw);
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, nwarps = blockDim.x / kWarp;
  a = warp_allreduce(a, combine);
  if (lane == 0) slots[warp] = a;
  __syncthreads();
  // Every thread folds the warps' totals in the same fixed order (shared-memory broadcasts), so
  // all threads hold the same bits without a second round of barriers.
  Acc total = slots[0];
  for (int w = 1; w < nwarps; ++w) total = combine(total, slots[w]);
  __syncthreads();
  return total;
}

// ---- the generic row reduction (Note [Row reduction shapes])

template <typename R>
__global__ void reduce_rows_thread(const R r, const int64_t outer, const int64_t inner) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; row < outer; row += step) {
    typename R::acc_t a = r.identity();
    for (int64_t j = 0; j < inner; ++j) a = r.combine(a, r.load(row, j));
    r.store(row, a);
  }
}

template <typename R>
__global__ void reduce_rows_warp(const R r, const int64_t outer, const int64_t inner) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_block = blockDim.x / kWarp;
  const int64_t step = warps_per_block * gridDim.x;
  for (int64_t row = blockIdx.x * warps_per_block + threadIdx.x / kWarp; row < outer; row += step) {
    typename R::acc_t a = r.identity();
    for (int64_t j = lane; j < inner; j += kWarp) a = r.combine(a, r.load(row, j));
    a = warp_allreduce(a, [&](auto x, auto y) { return r.combine(x, y); });
    if (lane == 0) r.store(row, a);
  }
}

template <typename R>
__global__ void reduce_rows_block(const R r, const int64_t outer, const int64_t inner) {
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    typename R::acc_t a = r.identity();
    for (int64_t j = threadIdx.x; j < inner; j += blockDim.x) a = r.combine(a, r.load(row, j));
    a = block_allreduce(a, [&](auto x, auto y) { return r.combine(x, y); });
    if (threadIdx.x == 0) r.store(row, a);
  }
}

// Pass 1 of a split row: block (c, row) folds elements [c * chunk, (c + 1) * chunk) of its row.
template <typename R>
__global__ void reduce_rows_chunks(const R r, typename R::acc_t* partial, const int64_t inner, const int64_t chunk) {
  const int64_t row = blockIdx.y, c = blockIdx.x;
  const int64_t lo = c * chunk, hi = lo + chunk < inner ? lo + chunk : inner;
  typename R::acc_t a = r.identity();
  for (int64_t j = lo + threadIdx.x; j < hi; j += blockDim.x) a = r.combine(a, r.load(row, j));
  a = block_allreduce(a, [&](auto x, auto y) { return r.combine(x, y); });
  if (threadIdx.x == 0) partial[row * gridDim.x + c] = a;
}

// Pass 2: one block per row folds its chunks' partials and stores the result.
template <typename R>
__global__ void reduce_rows_partials(const R r, const typename R::acc_t* partial, const int64_t nchunks) {
  const int64_t row = blockIdx.x;
  typename R::acc_t a = r.identity();
  for (int64_t c = threadIdx.x; c < nchunks; c += blockDim.x) a = r.combine(a, partial[row * nchunks + c]);
  a = block_allreduce(a, [&](auto x, auto y) { return r.combine(x, y); });
  if (threadIdx.x == 0) r.store(row, a);
}

inline unsigned grid_for(int64_t units, int64_t per_block) {
  const int64_t blocks = (units + per_block - 1) / per_block;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, kMaxBlocks)));
}

// Reduces every row of an [outer, inner] block with `r` on the current stream. `name` is what a
// launch error names.
template <typename R>
void reduce_rows(const char* name, const R& r, int64_t outer, int64_t inner) {
  if (outer == 0) return;
  cudaStream_t stream = ember::cuda::current_stream();
  if (inner < kWarp) {
    reduce_rows_thread<<<grid_for(outer, kThreads), kThreads, 0, stream>>>(r, outer, inner);
  } else if (inner < kBlockRowMin) {
    reduce_rows_warp<<<grid_for(outer, kThreads / kWarp), kThreads, 0, stream>>>(r, outer, inner);
  } else {
    // Chunks of at least 16 elements a thread, and only while the rows alone leave the GPU idle.
    const int64_t min_chunk = 16 * kThreads;
    const int64_t nchunks = std::min<int64_t>((inner + min_chunk - 1) / min_chunk, kTargetBlocks / outer);
    if (nchunks <= 1) {
      reduce_rows_block<<<grid_for(outer, 1), kThreads, 0, stream>>>(r, outer, inner);
    } else {
      // See Note [Row reduction shapes]: outer < kTargetBlocks here, within a grid's y limit.
      const int64_t chunk = (inner + nchunks - 1) / nchunks;
      using acc_t = typename R::acc_t;
      std::shared_ptr<void> buf = ember::cuda::allocate(static_cast<size_t>(outer * nchunks) * sizeof(acc_t),
                                                        ember::cuda::current_device());
      auto* partial = static_cast<acc_t*>(buf.get());
      reduce_rows_chunks<<<dim3(static_cast<unsigned>(nchunks), static_cast<unsigned>(outer)), kThreads, 0, stream>>>(
          r, partial, inner, chunk);
      EMBER_CUDA_CHECK_LAUNCH(name);
      reduce_rows_partials<<<static_cast<unsigned>(outer), kThreads, 0, stream>>>(r, partial, nchunks);
      // The pool frees `buf` in stream order (after these kernels), so dropping it here is safe.
    }
  }
  EMBER_CUDA_CHECK_LAUNCH(name);
}

}  // namespace ember::kernels::cuda
