// Baseline build of the simd_math.h kernels and the run-time choice among the three builds.
#include "kernels/cpu/simd_math.h"

#include "kernels/cpu/cpu_features.h"
#define EMBER_VEC_BYTES 16
#include "kernels/cpu/simd_math_body.h"

namespace ember::kernels::cpu {

namespace detail {
SimdMathTable simd_math_portable() { return EMBER_SIMD_MATH_TABLE(); }
}  // namespace detail

namespace {
detail::SimdMathTable table() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (cpu_isa() == CpuIsa::Avx512) return detail::simd_math_avx512();
  if (cpu_isa() == CpuIsa::Avx2) return detail::simd_math_avx2();
#endif
  return detail::simd_math_portable();
}
}  // namespace

double exp_shifted_f32(float* out, const float* x, int64_t n, float shift) {
  return table().exp_shifted(out, x, n, shift);
}
void sigmoid_f32(float* out, const float* x, int64_t n) { table().sigmoid(out, x, n); }
float max_f32(const float* x, int64_t n) { return table().max(x, n); }

}  // namespace ember::kernels::cpu
