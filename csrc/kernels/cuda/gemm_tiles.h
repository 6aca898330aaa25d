// Which tile a float32 GEMM runs with (Note [GEMM tiles by shape], gemm_tiles.cu). Host code
// only: kernels/cuda/gemm.cu asks it at each launch, the bindings expose it to tests and benchmarks.
#pragma once
#include <cstdint>
#include <string>

namespace ember::kernels::cuda {

enum class FloatGemmTile { Auto, T128x128, T64x64, T32x32, T16x16, T64x16 };

// The rule, given the device's SM count: pure, so tests can ask it about any shape and device.
FloatGemmTile float_gemm_tile_rule(int64_t M, int64_t N, int64_t batch, int64_t sms);
// What the next float32 GEMM of this shape on the current device runs with: the forced tile, or the rule.
FloatGemmTile float_gemm_tile(int64_t M, int64_t N, int64_t batch);

// Every float32 GEMM runs with `tile` until it is forced back to Auto (for tests comparing tiles
// and benchmarks timing them). Names: "auto", "128x128", "64x64", "32x32", "16x16", "64x16".
void force_float_gemm_tile(FloatGemmTile tile);
const char* float_gemm_tile_name(FloatGemmTile tile);
FloatGemmTile float_gemm_tile_named(const std::string& name);  // raises ValueError for others

}  // namespace ember::kernels::cuda
