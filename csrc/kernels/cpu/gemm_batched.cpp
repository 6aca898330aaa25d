// The CPU side of the GEMM entry points: one blocked GEMM (gemm.cpp) per matrix of the batch,
// each matrix found with the offsets arithmetic the CUDA twin runs per block (gemm_indexing.h).
#include "kernels/gemm.h"

#include "kernels/cpu/linear_epilogue.h"

namespace ember::kernels::cpu {

namespace {

// The CUDA tiles' load slots must cover each tile exactly once: slot g's `vec` elements, for
// every g < rows * depth / vec, hit every element of the rows x depth tile one time. Checked
// here at compile time so that a changed tile shape fails the CPU build, not a GPU run.
constexpr bool slots_cover_tile(bool k_contiguous, int rows, int depth, int vec) {
  if (rows * depth > 2048 || (k_contiguous ? depth : rows) % vec != 0) return false;
  bool hit[2048] = {};
  for (int g = 0; g < rows * depth / vec; ++g) {
    TileCoord c = gemm_tile_slot(k_contiguous, g, rows, depth, vec);
    for (int e = 0; e < vec; ++e) {
      int mn = c.mn + (k_contiguous ? 0 : e), k = c.k + (k_contiguous ? e : 0);
      if (mn < 0 || mn >= rows || k < 0 || k >= depth || hit[mn * depth + k]) return false;
      hit[mn * depth + k] = true;
    }
  }
  return true;
}
constexpr bool tile_ok(const GemmTileShape& t) {
  // One load step per thread for each operand: the slots divide evenly over the threads.
  return slots_cover_tile(true, t.rows, t.depth, t.vec) && slots_cover_tile(false, t.rows, t.depth, t.vec) &&
         slots_cover_tile(true, t.cols, t.depth, t.vec) && slots_cover_tile(false, t.cols, t.depth, t.vec) &&
         (t.rows * t.depth / t.vec) % t.threads == 0 && (t.cols * t.depth / t.vec) % t.threads == 0;
}
static_assert(tile_ok(kSgemmTile), "SGEMM tile: load slots must cover the tile once");
static_assert(tile_ok(kGenericGemmTile), "generic GEMM tile: load slots must cover the tile once");
static_assert(tile_ok(kSmallGemmTiles[0]) && tile_ok(kSmallGemmTiles[1]) && tile_ok(kSmallGemmTiles[2]),
              "small GEMM tiles: load slots must cover each tile once");

// The block order visits every tile once, ragged last group included.
constexpr bool block_order_ok(int64_t mtiles, int64_t ntiles, int64_t group) {
  if (mtiles * ntiles > 4096) return false;
  bool hit[4096] = {};
  for (int64_t id = 0; id < mtiles * ntiles; ++id) {
    TileIndex t = gemm_block_tile(id, mtiles, ntiles, group);
    if (t.m < 0 || t.m >= mtiles || t.n < 0 || t.n >= ntiles || hit[t.m * ntiles + t.n]) return false;
    hit[t.m * ntiles + t.n] = true;
  }
  return true;
}
static_assert(block_order_ok(1, 1, kGemmGroupM) && block_order_ok(32, 32, kGemmGroupM) &&
                  block_order_ok(13, 5, kGemmGroupM) && block_order_ok(3, 70, kGemmGroupM) &&
                  block_order_ok(70, 3, kGemmGroupM),
              "GEMM block order must be a bijection onto the tiles");

// C = op(A) op(B) + beta * C with each dtype's kernel (integers: beta is always 0).
void gemm_one(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
              int64_t ldb, float* C, int64_t ldc, float beta = 0.f) {
  sgemm(ta, tb, M, N, K, 1.f, A, lda, B, ldb, beta, C, ldc);
}
void gemm_one(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
              int64_t ldb, double* C, int64_t ldc, double beta = 0.0) {
  dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc);
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
void gemm_one(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb,
              T* C, int64_t ldc) {
  igemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc);
}

}  // namespace

void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                  int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc, const GemmBatch& batch) {
  const int64_t count = batch.count();
  EMBER_DISPATCH_NUMERIC(dtype, "matmul", [&] {
    auto* a = static_cast<const scalar_t*>(A);
    auto* b = static_cast<const scalar_t*>(B);
    auto* c = static_cast<scalar_t*>(C);
    for (int64_t z = 0; z < count; ++z) {
      int64_t off_a, off_b;
      gemm_batch_offsets(batch, z, off_a, off_b);
      gemm_one(trans_a, trans_b, M, N, K, a + off_a, lda, b + off_b, ldb, c + z * batch.stride_c, ldc);
    }
  });
}

void linear_gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                 int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C) {
  // Without ReLU the bias is pre-filled and the GEMM accumulates onto it (beta = 1); with ReLU
  // the GEMM writes (beta = 0) and one epilogue pass adds the bias and clamps.
  const bool prefill = bias && !relu;
  if (prefill) fill_rows(dtype, C, bias, M, N);
  EMBER_DISPATCH_FLOATING(dtype, "linear", [&] {
    const scalar_t beta = prefill ? scalar_t(1) : scalar_t(0);
    auto* a = static_cast<const scalar_t*>(A);
    auto* b = static_cast<const scalar_t*>(B);
    gemm_one(trans_a, trans_b, M, N, K, a, lda, b, ldb, static_cast<scalar_t*>(C), N, beta);
  });
  if (relu) bias_relu(dtype, C, bias, M, N);
}

}  // namespace ember::kernels::cpu
