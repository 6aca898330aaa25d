// Note [GEMM tiles by shape]
// The tuned float32 kernel computes a 128 x 128 tile per block (Note [CUDA SGEMM]). At MLP
// shapes that leaves most of the GPU idle: the 128 x 128 output of a batch-128 hidden layer is one
// block on one of an H100's 132 SMs. So a float32 GEMM takes, from large to small, the first tile
// whose grid (tiles x batch) gives every SM a block: 128 x 128, then the generic kernel's 64 x 64,
// 32 x 32 and 16 x 16; when none does, the smallest. A product with at most 16 columns (a
// classifier head: N = 10) takes 64 x 16 or 16 x 16, so no thread computes columns that are not there.
//
// The choice never changes a float32 result: every tile sums each output's K products in the same
// order, one fmaf after another from k = 0, with K's padding zeros only after the last product
// (and panels of Note [K in panels] the same for all). The one exception is the sign of an
// output that is exactly zero, which a padding fmaf(0, 0, -0) = +0 can flip. Split-K, which would
// change the order, is not done.
//
// The rule was set by reasoning, not by timing on a GPU: bench/gpu_validate.sh times each tile
// (ember.cuda._force_gemm_tile) so that a lent GPU can check it.
#include "kernels/cuda/gemm_tiles.h"

#include <atomic>

#include "core/cuda/cuda_check.h"
#include "core/error.h"

namespace ember::kernels::cuda {

namespace {
std::atomic<FloatGemmTile> g_forced{FloatGemmTile::Auto};

int64_t blocks(int64_t M, int64_t N, int64_t batch, int64_t rows, int64_t cols) {
  return ((M + rows - 1) / rows) * ((N + cols - 1) / cols) * batch;
}

constexpr struct {
  FloatGemmTile tile;
  const char* name;
} kNames[] = {{FloatGemmTile::Auto, "auto"},     {FloatGemmTile::T128x128, "128x128"}, {FloatGemmTile::T64x64, "64x64"},
              {FloatGemmTile::T32x32, "32x32"}, {FloatGemmTile::T16x16, "16x16"},     {FloatGemmTile::T64x16, "64x16"}};
}  // namespace

FloatGemmTile float_gemm_tile_rule(int64_t M, int64_t N, int64_t batch, int64_t sms) {
  if (N <= 16) return blocks(M, N, batch, 64, 16) >= sms ? FloatGemmTile::T64x16 : FloatGemmTile::T16x16;
  if (blocks(M, N, batch, 128, 128) >= sms) return FloatGemmTile::T128x128;
  if (blocks(M, N, batch, 64, 64) >= sms) return FloatGemmTile::T64x64;
  if (blocks(M, N, batch, 32, 32) >= sms) return FloatGemmTile::T32x32;
  return FloatGemmTile::T16x16;
}

FloatGemmTile float_gemm_tile(int64_t M, int64_t N, int64_t batch) {
  FloatGemmTile forced = g_forced.load(std::memory_order_relaxed);
  if (forced != FloatGemmTile::Auto) return forced;
  return float_gemm_tile_rule(M, N, batch, ember::cuda::multiprocessor_count());
}

void force_float_gemm_tile(FloatGemmTile tile) { g_forced.store(tile, std::memory_order_relaxed); }

const char* float_gemm_tile_name(FloatGemmTile tile) {
  for (const auto& n : kNames)
    if (n.tile == tile) return n.name;
  return "?";
}

FloatGemmTile float_gemm_tile_named(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.tile;
  EMBER_CHECK(false, Value, "[gemm] unknown tile '", name, "'; known: auto, 128x128, 64x64, 32x32, 16x16, 64x16");
  return FloatGemmTile::Auto;
}

}  // namespace ember::kernels::cuda
