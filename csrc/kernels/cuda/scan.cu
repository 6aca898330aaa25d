// CUDA twin of kernels::cpu::scan: cumsum / cumprod / logcumsumexp along the middle axis of a
// contiguous [outer, len, inner] block, in the accumulator of Note [Scan accumulator].
// Note [Scan shapes]: a dim that is not last (inner > 1), or a short row, gets a thread per
// (outer, inner) column walking the axis in order (neighbouring threads read neighbouring
// columns, so reads are coalesced). A long last-dim row gets a block, which walks it in tiles
// of blockDim elements: each tile is scanned by warp shuffles and the warps' totals, then
// offset by the carry of the tiles before it. The tree inside a tile adds in another order than
// the CPU twin's left-to-right walk (the same in double, up to rounding).
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/scan.h"

namespace ember::kernels::cuda {

namespace {

constexpr int64_t kBlockScanMin = 64;  // rows at least this long (inner == 1) get a block each

template <typename T>
__global__ void scan_columns(ScanKind kind, bool reverse, T* out, const T* in, int64_t outer, int64_t len,
                             int64_t inner) {
  using A = scan_acc_t<T>;
  const int64_t n = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < n; c += step) {
    const int64_t base = (c / inner) * len * inner + c % inner;
    A acc = scan_identity<A>(kind);
    for (int64_t s = 0; s < len; ++s) {
      const int64_t at = base + (reverse ? len - 1 - s : s) * inner;
      acc = scan_combine(kind, acc, static_cast<A>(in[at]));
      out[at] = static_cast<T>(acc);
    }
  }
}

template <typename A>
__device__ __forceinline__ A shfl_up(A v, int delta) {
  if constexpr (std::is_same_v<A, int64_t>)
    return static_cast<A>(__shfl_up_sync(kFullMask, static_cast<long long>(v), delta));
  else return __shfl_up_sync(kFullMask, v, delta);
}

// Inclusive scan of one value per thread over the block (blockDim.x a multiple of 32); `total`
// gets the whole block's. Ends with a barrier, so it may be called again at once.
template <typename A>
__device__ A block_inclusive_scan(ScanKind kind, A v, A& total) {
  __shared__ A warp_totals[kWarp];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, nwarps = blockDim.x / kWarp;
  for (int d = 1; d < kWarp; d <<= 1) {
    const A up = shfl_up(v, d);
    if (lane >= d) v = scan_combine(kind, up, v);
  }
  if (lane == kWarp - 1) warp_totals[warp] = v;
  __syncthreads();
  if (warp == 0) {  // scan the warps' totals in place
    A w = lane < nwarps ? warp_totals[lane] : scan_identity<A>(kind);
    for (int d = 1; d < kWarp; d <<= 1) {
      const A up = shfl_up(w, d);
      if (lane >= d) w = scan_combine(kind, up, w);
    }
    if (lane < nwarps) warp_totals[lane] = w;
  }
  __syncthreads();
  if (warp > 0) v = scan_combine(kind, warp_totals[warp - 1], v);
  total = warp_totals[nwarps - 1];
  __syncthreads();
  return v;
}

template <typename T>
__global__ void scan_rows_block(ScanKind kind, bool reverse, T* out, const T* in, int64_t rows, int64_t len) {
  using A = scan_acc_t<T>;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x = in + row * len;
    T* o = out + row * len;
    A carry = scan_identity<A>(kind);
    for (int64_t tile = 0; tile < len; tile += blockDim.x) {
      const int64_t s = tile + threadIdx.x;
      const int64_t at = reverse ? len - 1 - s : s;
      A v = s < len ? static_cast<A>(x[at]) : scan_identity<A>(kind);
      A tile_total;
      v = block_inclusive_scan(kind, v, tile_total);
      if (s < len) o[at] = static_cast<T>(scan_combine(kind, carry, v));
      carry = scan_combine(kind, carry, tile_total);
    }
  }
}

}  // namespace

void scan(DType dtype, ScanKind kind, bool reverse, void* out, const void* in, int64_t outer, int64_t len,
          int64_t inner) {
  if (outer == 0 || len == 0 || inner == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "cumulative op", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    cudaStream_t stream = ember::cuda::current_stream();
    if (inner > 1 || len < kBlockScanMin) {
      scan_columns<<<grid_for(outer * inner, kThreads), kThreads, 0, stream>>>(kind, reverse, o, x, outer, len, inner);
    } else {
      scan_rows_block<<<grid_for(outer, 1), kThreads, 0, stream>>>(kind, reverse, o, x, outer, len);
    }
    EMBER_CUDA_CHECK_LAUNCH("scan");
  });
}

}  // namespace ember::kernels::cuda
