// Array kernels over contiguous float32 built on fast_expf (Note [Polynomial exp]), each compiled
// for baseline x86-64, AVX2 and AVX-512 and chosen at run time (Note [Runtime ISA dispatch]).
// Used by unary exp/sigmoid, softmax and cross-entropy. Single-threaded: callers split rows.
#pragma once
#include <cstdint>

namespace ember::kernels::cpu {

// out[i] = exp(x[i] - shift) when out is not null (out may alias x); returns sum_i exp(x[i] - shift),
// in float lanes summed per chunk into double (Note [Cascade sum] in reduce.cpp).
double exp_shifted_f32(float* out, const float* x, int64_t n, float shift);
// out[i] = 1 / (1 + exp(-x[i])).
void sigmoid_f32(float* out, const float* x, int64_t n);
// max_i x[i], NaN if any is NaN; -inf for n == 0.
float max_f32(const float* x, int64_t n);

namespace detail {
struct SimdMathTable {
  double (*exp_shifted)(float*, const float*, int64_t, float);
  void (*sigmoid)(float*, const float*, int64_t);
  float (*max)(const float*, int64_t);
};
SimdMathTable simd_math_portable();
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
SimdMathTable simd_math_avx2();
SimdMathTable simd_math_avx512();
#endif
}  // namespace detail

}  // namespace ember::kernels::cpu
