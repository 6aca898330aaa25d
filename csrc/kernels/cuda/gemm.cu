// CUDA twins of the CPU GEMMs (kernels/gemm.h). Two kernels:
//
// Note [CUDA SGEMM]
// Float32 runs a register-blocked shared-memory kernel: a block of 256 threads computes a
// 128 x 128 tile of C, 8 x 8 outputs per thread, stepping through K 8 at a time (kSgemmTile).
// Per step every thread loads 4 elements of A and 4 of B (one float4 each when the operand's
// layout allows, Note [GEMM tile loads]) and stores them k-major into shared memory, so the inner
// loop reads each thread's 8 values of A and 8 of B as four float4s and does 64 FMAs: 2 shared
// loads per 16 FMAs keeps the FMA pipes, not shared memory, the bottleneck. Shared memory is
// double-buffered with the next step's global loads held in registers while the current step
// computes: one __syncthreads per step, global latency hidden behind 512 FMAs per thread.
// A thread's 8 x 8 outputs are two 4-row by two 4-column groups 64 apart, so the 16 threads of a
// half-warp read 16 consecutive float4s of B (no bank conflicts) and the same float4 of A
// (a broadcast). Rows of the shared tiles are padded by 4 floats so the transposing stores of a
// K-contiguous operand do not collide on one bank. The transpose flags are template parameters
// (4 instantiations): the loads' direction is fixed at compile time, nothing is copied.
// Edges: a load outside M, N or K reads 0 (so ragged tiles accumulate exact zeros) and the
// write-back is clipped; any M, N, K works, with float4 paths only where fully in bounds and aligned.
//
// Float64 and Int64 share a simpler generic kernel: 64 x 64 tiles, K 16 at a time, 4 x 4 outputs
// per thread, one scalar load per slot, single-buffered (kGenericGemmTile). Float32 takes the
// generic kernel too, with smaller tiles, when the 128 x 128 grid would leave SMs idle (Note
// [GEMM tiles by shape], gemm_tiles.cu).
//
// Both apply Linear's epilogue (bias per column, ReLU) in the write-back, so a Linear forward is
// one launch, and both walk a batch of matrices along grid z (Note [Batched GEMM offsets]).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "core/cuda/cuda_check.h"
#include "kernels/functors.h"
#include "kernels/cuda/gemm_generic.cuh"
#include "kernels/cuda/gemm_tiles.h"
#include "kernels/gemm.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cuda {

namespace {

constexpr int64_t kMaxGridX = 2147483647;
constexpr int64_t kMaxGridZ = 65535;


// ------------------------------------------------------------------ float32: the tuned kernel

constexpr int BM = kSgemmTile.rows, BN = kSgemmTile.cols, BK = kSgemmTile.depth, kSgemmThreads = kSgemmTile.threads;
constexpr int kPad = 4;  // keeps rows 16-byte aligned and spreads the transposing stores over banks
static_assert(kSgemmTile.vec == 4 && kSgemmThreads == 256 && BM == 128 && BN == 128,
              "the compute loop below assumes 16 x 16 threads of 8 x 8 outputs and float4 slots");

// One thread's load slot of one operand: 4 elements, consecutive in memory, at its tile
// coordinate (Note [GEMM tile loads]). Kept small (a pointer and an int) so the 64 accumulators
// and the prefetch registers fit in 128 registers without spilling.
struct Slot {
  const float* p;  // the first element, in the current K step
  int valid;       // how many of the 4 lie inside M (or N): all or none when they run along K
};

// `kleft` = K minus the K index of the slot's first element (may be <= 0: nothing left).
template <bool KC>
__device__ __forceinline__ void load_slot(float (&r)[4], const Slot& s, int64_t kleft, bool vec) {
  const bool full = KC ? (s.valid > 0 && kleft >= 4) : (s.valid == 4 && kleft > 0);
  if (vec && full) {
    const float4 v = *reinterpret_cast<const float4*>(s.p);
    r[0] = v.x, r[1] = v.y, r[2] = v.z, r[3] = v.w;
    return;
  }
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const bool in = KC ? (s.valid > 0 && e < kleft) : (e < s.valid && kleft > 0);
    r[e] = in ? s.p[e] : 0.f;
  }
}

// How many of a slot's 4 elements starting at index `first` of a dim of `size` are inside it.
template <bool KC>
__device__ __forceinline__ int slot_valid(int64_t first, int64_t size) {
  if (KC) return first < size ? 4 : 0;
  const int64_t left = size - first;
  return left <= 0 ? 0 : (left >= 4 ? 4 : static_cast<int>(left));
}

// Stores a slot k-major, tile[k][mn], at its tile coordinate c: along K the four go to four
// rows; along M/N, one float4.
template <bool KC>
__device__ __forceinline__ void store_slot(float (*tile)[BM + kPad], const float (&r)[4], TileCoord c) {
  if (KC) {
#pragma unroll
    for (int e = 0; e < 4; ++e) tile[c.k + e][c.mn] = r[e];
  } else {
    *reinterpret_cast<float4*>(&tile[c.k][c.mn]) = make_float4(r[0], r[1], r[2], r[3]);
  }
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(256, 2)
    sgemm_kernel(const GemmArgs<float> g, const bool vec_a, const bool vec_b, const bool vec_c) {
  __shared__ __align__(16) float As[2][BK][BM + kPad];
  __shared__ __align__(16) float Bs[2][BK][BN + kPad];
  constexpr bool a_kc = gemm_a_k_contiguous(TA), b_kc = gemm_b_k_contiguous(TB);
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const TileCoord sa = gemm_tile_slot(a_kc, tid, BM, BK, 4), sb = gemm_tile_slot(b_kc, tid, BN, BK, 4);
  const int64_t mtiles = (g.M + BM - 1) / BM, ntiles = (g.N + BN - 1) / BN;
  const int64_t a_step = a_kc ? BK : BK * g.lda, b_step = b_kc ? BK : BK * g.ldb;  // per K step
  const int64_t count = g.batch.count();
  for (int64_t z = blockIdx.z; z < count; z += gridDim.z) {
    for (int64_t id = blockIdx.x; id < mtiles * ntiles; id += gridDim.x) {
      const TileIndex t = gemm_block_tile(id, mtiles, ntiles, kGemmGroupM);
      int64_t off_a, off_b;
      gemm_batch_offsets(g.batch, z, off_a, off_b);
      const int64_t row0 = t.m * BM, col0 = t.n * BN;
      Slot a{g.A + off_a + gemm_a_offset(TA, g.lda, row0 + sa.mn, sa.k), slot_valid<a_kc>(row0 + sa.mn, g.M)};
      Slot b{g.B + off_b + gemm_b_offset(TB, g.ldb, sb.k, col0 + sb.mn), slot_valid<b_kc>(col0 + sb.mn, g.N)};
      // What the write-back needs, kept in few registers through the K loop: this thread's first
      // output, and how many of its rows / columns (from the first) lie inside C.
      const int64_t out_row = row0 + ty * 4, out_col = col0 + tx * 4;
      float* const c0 = g.C + z * g.batch.stride_c + out_row * g.ldc + out_col;
      const int rows_in = static_cast<int>(g.M - out_row < 128 ? g.M - out_row : 128);
      const int cols_in = static_cast<int>(g.N - out_col < 128 ? g.N - out_col : 128);

      float acc[8][8];
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;
      float ra[4], rb[4];
      if (g.K > 0) {
        load_slot<a_kc>(ra, a, g.K - sa.k, vec_a);
        load_slot<b_kc>(rb, b, g.K - sb.k, vec_b);
        store_slot<a_kc>(As[0], ra, sa);
        store_slot<b_kc>(Bs[0], rb, sb);
        __syncthreads();
      }
      int cur = 0;
      for (int64_t k0 = 0; k0 < g.K; k0 += BK, cur ^= 1) {
        const bool more = k0 + BK < g.K;
        if (more) {  // the next step's global loads fly while this step computes
          a.p += a_step;
          b.p += b_step;
          load_slot<a_kc>(ra, a, g.K - (k0 + BK + sa.k), vec_a);
          load_slot<b_kc>(rb, b, g.K - (k0 + BK + sb.k), vec_b);
        }
#pragma unroll
        for (int k = 0; k < BK; ++k) {
          float fa[8], fb[8];
          const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
          const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
          const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
          const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
          fa[0] = a0.x, fa[1] = a0.y, fa[2] = a0.z, fa[3] = a0.w, fa[4] = a1.x, fa[5] = a1.y, fa[6] = a1.z, fa[7] = a1.w;
          fb[0] = b0.x, fb[1] = b0.y, fb[2] = b0.z, fb[3] = b0.w, fb[4] = b1.x, fb[5] = b1.y, fb[6] = b1.z, fb[7] = b1.w;
#pragma unroll
          for (int i = 0; i < 8; ++i)
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
        }
        if (more) {  // the other buffer was last read before the previous step's barrier
          store_slot<a_kc>(As[cur ^ 1], ra, sa);
          store_slot<b_kc>(Bs[cur ^ 1], rb, sb);
        }
        __syncthreads();
      }

      // Write-back: rows ty*4 + {0..3} and 64 + ty*4 + {0..3}; columns likewise with tx.
      const float* const bias = g.bias ? g.bias + out_col : nullptr;
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const int r = i < 4 ? i : 64 + (i - 4);  // row offset from out_row
        if (r >= rows_in) continue;
        float* crow = c0 + r * g.ldc;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int c = h * 64;  // column offset from out_col
          if (vec_c && c + 3 < cols_in) {
            float4 old = make_float4(0.f, 0.f, 0.f, 0.f);
            if (g.beta != 0.f) old = *reinterpret_cast<const float4*>(crow + c);
            float4 v;
            v.x = output_value(g, acc[i][h * 4 + 0], &old.x, bias, c + 0);
            v.y = output_value(g, acc[i][h * 4 + 1], &old.y, bias, c + 1);
            v.z = output_value(g, acc[i][h * 4 + 2], &old.z, bias, c + 2);
            v.w = output_value(g, acc[i][h * 4 + 3], &old.w, bias, c + 3);
            *reinterpret_cast<float4*>(crow + c) = v;
          } else {
#pragma unroll
            for (int e = 0; e < 4; ++e)
              if (c + e < cols_in) crow[c + e] = output_value(g, acc[i][h * 4 + e], crow + c + e, bias, c + e);
          }
        }
      }
    }
  }
}


// ------------------------------------------------------------------ launch

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// float4 access to an operand: its rows (and every matrix of the batch) start 16-byte aligned.
bool can_vectorize(const float* p, int64_t ld, const int64_t* batch_strides, int ndim) {
  if (!aligned16(p) || ld % 4 != 0) return false;
  for (int d = 0; d < ndim; ++d)
    if (batch_strides[d] % 4 != 0) return false;
  return true;
}

dim3 grid_for(int64_t tiles, int64_t count) {
  return dim3(static_cast<unsigned>(std::min(tiles, kMaxGridX)), 1, static_cast<unsigned>(std::min(count, kMaxGridZ)));
}

static_assert(kSmallGemmTiles[0].rows == 32 && kSmallGemmTiles[1].rows == 16 && kSmallGemmTiles[2].rows == 64 &&
                  kSmallGemmTiles[2].cols == 16,
              "launch() runs the tiles whose load slots gemm_batched.cpp checks: 32 x 32, 16 x 16, 64 x 16");

template <typename T, int RM, int RN>
void launch_generic(const GemmArgs<T>& g, bool ta, bool tb, cudaStream_t stream, const char* name) {
  const int64_t tiles = ((g.M + 16 * RM - 1) / (16 * RM)) * ((g.N + 16 * RN - 1) / (16 * RN));
  gemm_generic_kernel<T, RM, RN><<<grid_for(tiles, g.batch.count()), kGenericThreads, 0, stream>>>(g, ta, tb);
  EMBER_CUDA_CHECK_LAUNCH(name);
}

// One launch: C = alpha op(A) op(B) + beta C, then the Linear epilogue, over the whole batch.
template <typename T>
void launch(const GemmArgs<T>& g, bool ta, bool tb) {
  const int64_t count = g.batch.count();
  cudaStream_t stream = ember::cuda::current_stream();
  if constexpr (std::is_same_v<T, float>) {
    switch (float_gemm_tile(g.M, g.N, count)) {  // Note [GEMM tiles by shape]
      case FloatGemmTile::T64x64: return launch_generic<float, 4, 4>(g, ta, tb, stream, "sgemm_64x64");
      case FloatGemmTile::T32x32: return launch_generic<float, 2, 2>(g, ta, tb, stream, "sgemm_32x32");
      case FloatGemmTile::T16x16: return launch_generic<float, 1, 1>(g, ta, tb, stream, "sgemm_16x16");
      case FloatGemmTile::T64x16: return launch_generic<float, 4, 1>(g, ta, tb, stream, "sgemm_64x16");
      default: break;
    }
    const int64_t tiles = ((g.M + BM - 1) / BM) * ((g.N + BN - 1) / BN);
    const dim3 grid = grid_for(tiles, count);
    const bool va = can_vectorize(g.A, g.lda, g.batch.stride_a, g.batch.ndim);
    const bool vb = can_vectorize(g.B, g.ldb, g.batch.stride_b, g.batch.ndim);
    const bool vc = aligned16(g.C) && g.ldc % 4 == 0 && g.batch.stride_c % 4 == 0;
    if (!ta && !tb) sgemm_kernel<false, false><<<grid, kSgemmThreads, 0, stream>>>(g, va, vb, vc);
    else if (!ta && tb) sgemm_kernel<false, true><<<grid, kSgemmThreads, 0, stream>>>(g, va, vb, vc);
    else if (ta && !tb) sgemm_kernel<true, false><<<grid, kSgemmThreads, 0, stream>>>(g, va, vb, vc);
    else sgemm_kernel<true, true><<<grid, kSgemmThreads, 0, stream>>>(g, va, vb, vc);
    EMBER_CUDA_CHECK_LAUNCH("sgemm");
  } else {
    launch_generic<T, 4, 4>(g, ta, tb, stream, std::is_same_v<T, double> ? "dgemm" : "igemm");
  }
}

// Note [K in panels] (kernels/cpu/gemm.cpp) on the GPU: a thread sums its outputs' products in
// registers, so a floating product with a long K is launched once per panel of kKPanel products;
// C accumulates the panels (beta = 1 after the first) and the Linear epilogue runs on the last.
// The kernel checks of tools/cuda_emu use tiny panels so their small shapes cross panel boundaries
// (the emulated device of an EMBER_CUDA=EMU build keeps the GPU's, so it launches what a GPU would).
#ifdef EMBER_CUDA_EMU_K_PANEL
constexpr int64_t kKPanel = EMBER_CUDA_EMU_K_PANEL;
#else
constexpr int64_t kKPanel = 4096;
#endif

template <typename T>
void run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
         int64_t ldb, T beta, T* C, int64_t ldc, const GemmBatch& batch, const T* bias, bool relu) {
  if (M <= 0 || N <= 0 || batch.count() <= 0) return;
  // alpha == 0 reads neither A nor B (BLAS): a K of 0 leaves only beta * C and the epilogue.
  if (alpha == T(0)) K = 0;
  const int64_t panel = std::is_integral_v<T> ? std::max<int64_t>(K, 1) : kKPanel;
  int64_t p0 = 0;
  do {
    const int64_t kp = std::min(panel, K - p0);
    const bool last = p0 + kp == K;
    const T* Ap = A + (ta ? p0 * lda : p0);
    const T* Bp = B + (tb ? p0 : p0 * ldb);
    launch(GemmArgs<T>{M, N, kp, Ap, lda, Bp, ldb, C, ldc, alpha, p0 == 0 ? beta : T(1), last ? bias : nullptr,
                       last && relu, batch},
           ta, tb);
    p0 += kp;
  } while (p0 < K);
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  run<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, GemmBatch{}, nullptr, false);
}

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
           int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  run<double>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, GemmBatch{}, nullptr, false);
}

void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda,
           const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc) {
  run<int64_t>(trans_a, trans_b, M, N, K, 1, A, lda, B, ldb, 0, C, ldc, GemmBatch{}, nullptr, false);
}

void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int32_t* A, int64_t lda,
           const int32_t* B, int64_t ldb, int32_t* C, int64_t ldc) {
  run<int32_t>(trans_a, trans_b, M, N, K, 1, A, lda, B, ldb, 0, C, ldc, GemmBatch{}, nullptr, false);
}

void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                  int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc, const GemmBatch& batch) {
  EMBER_DISPATCH_NUMERIC(dtype, "matmul", [&] {
    run<scalar_t>(trans_a, trans_b, M, N, K, scalar_t(1), static_cast<const scalar_t*>(A), lda,
                  static_cast<const scalar_t*>(B), ldb, scalar_t(0), static_cast<scalar_t*>(C), ldc, batch, nullptr,
                  false);
  });
}

void linear_gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                 int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C) {
  EMBER_DISPATCH_FLOATING(dtype, "linear", [&] {
    run<scalar_t>(trans_a, trans_b, M, N, K, scalar_t(1), static_cast<const scalar_t*>(A), lda,
                  static_cast<const scalar_t*>(B), ldb, scalar_t(0), static_cast<scalar_t*>(C), N, GemmBatch{},
                  static_cast<const scalar_t*>(bias), relu);
  });
}

}  // namespace ember::kernels::cuda
