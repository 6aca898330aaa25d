// The index arithmetic shared by the CPU GEMM and its CUDA twin (kernels/cuda/gemm.cu): where
// element (i, p) of op(A) and (p, j) of op(B) lie under the BLAS-style transpose flags, where each
// matrix of a batched product starts, which elements of a tile one load slot covers, and the
// Linear epilogue (bias, ReLU). Plain EMBER_HD functions over numbers: the CPU kernels call them
// (igemm, gemm_batched, bias_relu), so the CPU tests check the arithmetic the GPU runs.
#pragma once
#include <cstdint>

#include "kernels/functors.h"
#include "kernels/loop_shape.h"

namespace ember::kernels {

// op(A) is M x K: A stored M x K (row stride lda) or, when trans_a, K x M (A^T read in place).
EMBER_HD inline int64_t gemm_a_offset(bool trans_a, int64_t lda, int64_t i, int64_t p) {
  return trans_a ? p * lda + i : i * lda + p;
}
// op(B) is K x N: B stored K x N (row stride ldb) or, when trans_b, N x K.
EMBER_HD inline int64_t gemm_b_offset(bool trans_b, int64_t ldb, int64_t p, int64_t j) {
  return trans_b ? j * ldb + p : p * ldb + j;
}

// Note [Batched GEMM offsets]
// A batched product C[z] = op(A[z]) op(B[z]) runs over the (broadcast) batch dims of the output;
// the operands' batch strides are 0 along a broadcast dim, so one GemmBatch describes matmul's
// every case (bmm, (B, M, K) @ (K, N), (2, 1, M, K) @ (3, K, N)) without materialising the
// broadcast. C is written densely: matrix z starts at z * stride_c. ndim == 0 is one matrix.
struct GemmBatch {
  int ndim = 0;
  int64_t sizes[kMaxLoopDims];
  int64_t stride_a[kMaxLoopDims];
  int64_t stride_b[kMaxLoopDims];
  int64_t stride_c = 0;
  EMBER_HD int64_t count() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
};

// Element offsets of matrix z (row-major over the batch dims) in A and B.
EMBER_HD inline void gemm_batch_offsets(const GemmBatch& b, int64_t z, int64_t& off_a, int64_t& off_b) {
  off_a = 0;
  off_b = 0;
  for (int d = b.ndim - 1; d >= 0; --d) {
    const int64_t index = z % b.sizes[d];
    z /= b.sizes[d];
    off_a += index * b.stride_a[d];
    off_b += index * b.stride_b[d];
  }
}

// Note [GEMM tile loads]
// A tile of op(A) is `rows` x `depth` (rows along M, depth along K); of op(B), depth x cols, the
// same shape seen from the other side. Load slot g of a block covers `vec` elements that are
// consecutive in memory: along K when the operand is stored with K contiguous (A plain, B
// transposed), else along M (or N). Consecutive slots walk the contiguous dim first, so a warp's
// loads are coalesced whatever the transpose flags. Sets the tile coordinates of the slot's first
// element; the others follow along K when k_contiguous, else along M/N.
struct TileCoord {
  int mn, k;
};
EMBER_HD constexpr TileCoord gemm_tile_slot(bool k_contiguous, int g, int rows, int depth, int vec) {
  if (k_contiguous) return {g / (depth / vec), (g % (depth / vec)) * vec};
  return {(g % (rows / vec)) * vec, g / (rows / vec)};
}
// The CUDA kernels' tiles (kernels/cuda/gemm.cu), here so that the CPU build checks at compile
// time that their load slots cover each tile exactly once (kernels/cpu/gemm_batched.cpp).
struct GemmTileShape {
  int rows, cols, depth, threads, vec;  // a block computes rows x cols of C, depth of K per step
};
constexpr GemmTileShape kSgemmTile{128, 128, 8, 256, 4};  // 8 x 8 outputs per thread
constexpr GemmTileShape kGenericGemmTile{64, 64, 16, 256, 1};  // 4 x 4 outputs per thread
// The generic kernel's smaller tiles, for float32 where the grid would not fill the GPU (Note
// [GEMM tiles by shape]): 2 x 2, 1 x 1 and 4 x 1 outputs per thread.
constexpr GemmTileShape kSmallGemmTiles[] = {{32, 32, 16, 256, 1}, {16, 16, 16, 256, 1}, {64, 16, 16, 256, 1}};

// Whether op(A) / op(B) has K as its contiguous dim (what gemm_tile_slot's k_contiguous asks).
EMBER_HD constexpr bool gemm_a_k_contiguous(bool trans_a) { return !trans_a; }
EMBER_HD constexpr bool gemm_b_k_contiguous(bool trans_b) { return trans_b; }

// Note [GEMM block order]
// The CUDA kernels number C's tiles with one flat block index and walk them in groups of
// `group` tile rows: consecutive blocks go down a group's column of tiles before moving right,
// so the blocks resident at the same time share rows of A and columns of B in L2 instead of
// each wave streaming all of B. A bijection from [0, mtiles * ntiles) to the tiles.
struct TileIndex {
  int64_t m, n;
};
EMBER_HD constexpr TileIndex gemm_block_tile(int64_t id, int64_t mtiles, int64_t ntiles, int64_t group) {
  const int64_t per_group = group * ntiles;
  const int64_t first_m = (id / per_group) * group;
  const int64_t rows = mtiles - first_m < group ? mtiles - first_m : group;
  const int64_t in_group = id % per_group;
  return {first_m + in_group % rows, in_group / rows};
}
constexpr int64_t kGemmGroupM = 8;

// The Linear epilogue of one output: v (= alpha * acc + beta * c) plus the column's bias, then
// ReLU when asked. `bias` may be null.
template <typename T>
EMBER_HD inline T gemm_epilogue(T v, const T* bias, int64_t col, bool relu) {
  if (bias) v += bias[col];
  if (relu && v < T(0)) v = T(0);  // as ReluF: NaN and -0.0 pass through
  return v;
}

}  // namespace ember::kernels
