// What both CUDA GEMM kernels of gemm.cu share, GemmArgs and the write-back of an output, and the
// generic kernel (Note [CUDA SGEMM] has the tuned float32 one). Included by gemm.cu only.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "kernels/functors.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cuda {

template <typename T>
struct GemmArgs {
  int64_t M, N, K;
  const T* A;
  int64_t lda;
  const T* B;
  int64_t ldb;
  T* C;
  int64_t ldc;
  T alpha, beta;
  const T* bias;  // null: no bias
  bool relu;
  GemmBatch batch;
};

// alpha * acc + beta * C (C not read when beta == 0), then the Linear epilogue.
// `bias` points at the bias of the column `col` is counted from.
template <typename T>
__device__ __forceinline__ T output_value(const GemmArgs<T>& g, T acc, const T* c, const T* bias, int64_t col) {
  // Integer products and sums wrap, as the CPU's igemm (Note [Wrapping integer arithmetic]).
  T v = wrapping_mul(g.alpha, acc);
  if (g.beta != T(0)) v = wrapping_add(v, wrapping_mul(g.beta, *c));
  return gemm_epilogue(v, bias, col, g.relu);
}

// A block of 16 x 16 threads computes a (16 RM) x (16 RN) tile of C, RM x RN outputs per thread
// 16 apart, K 16 at a time, one scalar load per slot, single-buffered. Float64 and Int64 use it
// with 64 x 64 tiles (kGenericGemmTile); float32 with the smaller tiles of Note [GEMM tiles by
// shape], where the 128 x 128 grid would leave SMs idle.
constexpr int GK = kGenericGemmTile.depth, kGenericThreads = kGenericGemmTile.threads;
static_assert(kGenericGemmTile.rows == 64 && kGenericGemmTile.cols == 64 && GK == 16 && kGenericThreads == 256 &&
                  kGenericGemmTile.vec == 1,
              "the generic kernel assumes 16 x 16 threads, K steps of 16 and scalar slots");

// acc + a * b in one rounding for floating types (so every tile size gives the same float32 sums
// as the tuned kernel's fmaf), wrapping for integers (Note [Wrapping integer arithmetic]).
template <typename T>
__device__ __forceinline__ T mul_add(T a, T b, T acc) {
  if constexpr (std::is_integral_v<T>) return wrapping_add(acc, wrapping_mul(a, b));
  else if constexpr (std::is_same_v<T, float>) return fmaf(a, b, acc);
  else return fma(a, b, acc);
}

template <typename T, int RM, int RN>
__global__ void __launch_bounds__(256) gemm_generic_kernel(const GemmArgs<T> g, const bool ta, const bool tb) {
  constexpr int GM = 16 * RM, GN = 16 * RN;
  __shared__ T As[GK][GM + 1];
  __shared__ T Bs[GK][GN + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const bool a_kc = gemm_a_k_contiguous(ta), b_kc = gemm_b_k_contiguous(tb);
  const int64_t M = g.M, N = g.N, K = g.K;
  const int64_t mtiles = (M + GM - 1) / GM, ntiles = (N + GN - 1) / GN;
  const int64_t count = g.batch.count();
  for (int64_t z = blockIdx.z; z < count; z += gridDim.z) {
    int64_t off_a, off_b;
    gemm_batch_offsets(g.batch, z, off_a, off_b);
    const T* A = g.A + off_a;
    const T* B = g.B + off_b;
    T* C = g.C + z * g.batch.stride_c;
    for (int64_t id = blockIdx.x; id < mtiles * ntiles; id += gridDim.x) {
      const TileIndex t = gemm_block_tile(id, mtiles, ntiles, kGemmGroupM);
      const int64_t row0 = t.m * GM, col0 = t.n * GN;
      T acc[RM][RN] = {};
      for (int64_t k0 = 0; k0 < K; k0 += GK) {
#pragma unroll
        for (int q = 0; q < RM; ++q) {  // GM * GK / 256 = RM load slots per thread
          const TileCoord ca = gemm_tile_slot(a_kc, tid + q * kGenericThreads, GM, GK, 1);
          const int64_t i = row0 + ca.mn, pa = k0 + ca.k;
          As[ca.k][ca.mn] = i < M && pa < K ? A[gemm_a_offset(ta, g.lda, i, pa)] : T(0);
        }
#pragma unroll
        for (int q = 0; q < RN; ++q) {
          const TileCoord cb = gemm_tile_slot(b_kc, tid + q * kGenericThreads, GN, GK, 1);
          const int64_t j = col0 + cb.mn, pb = k0 + cb.k;
          Bs[cb.k][cb.mn] = j < N && pb < K ? B[gemm_b_offset(tb, g.ldb, pb, j)] : T(0);
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < GK; ++k) {
          T fa[RM], fb[RN];
#pragma unroll
          for (int r = 0; r < RM; ++r) fa[r] = As[k][ty + 16 * r];
#pragma unroll
          for (int c = 0; c < RN; ++c) fb[c] = Bs[k][tx + 16 * c];
#pragma unroll
          for (int r = 0; r < RM; ++r)
#pragma unroll
            for (int c = 0; c < RN; ++c) acc[r][c] = mul_add(fa[r], fb[c], acc[r][c]);
        }
        __syncthreads();
      }
#pragma unroll
      for (int r = 0; r < RM; ++r) {
        const int64_t row = row0 + ty + 16 * r;
        if (row >= M) continue;
#pragma unroll
        for (int c = 0; c < RN; ++c) {
          const int64_t col = col0 + tx + 16 * c;
          if (col < N) C[row * g.ldc + col] = output_value(g, acc[r][c], C + row * g.ldc + col, g.bias, col);
        }
      }
    }
  }
}

}  // namespace ember::kernels::cuda
