// GEMM micro-kernels for AVX2 + FMA (this file is compiled with -mavx2 -mfma; see
// Note [Runtime ISA dispatch] in cpu_features.h and Note [ISA translation units]).
#include "kernels/cpu/gemm_kernel.h"

#ifdef EMBER_X86_SIMD
#include <immintrin.h>

#include "kernels/cpu/gemm_simd_kernel.h"

namespace ember::kernels::cpu::detail {

namespace {
struct Avx2Float {
  using T = float;
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, R v) { _mm256_storeu_ps(p, v); }
  static R set1(T v) { return _mm256_set1_ps(v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
};
struct Avx2Double {
  using T = double;
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, R v) { _mm256_storeu_pd(p, v); }
  static R set1(T v) { return _mm256_set1_pd(v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
};
}  // namespace

// 6 x 16 floats: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers.
// kc = 256 keeps a B micro-panel (16 KB) in a 32 KB L1; mc = 192 keeps the A block (192 KB) in L2.
GemmKernel<float> sgemm_kernel_avx2() {
  return {6, 16, 192, 256, 4096, &simd_micro_kernel<Avx2Float, 6, 2, true>,
          &simd_micro_kernel<Avx2Float, 6, 2, false>};
}
GemmKernel<double> dgemm_kernel_avx2() {
  return {6, 8, 96, 256, 4096, &simd_micro_kernel<Avx2Double, 6, 2, true>,
          &simd_micro_kernel<Avx2Double, 6, 2, false>};
}
// Note [Narrow GEMM] (gemm.cpp): 12 x 8 floats / 12 x 4 doubles, 12 accumulators of one vector.
GemmKernel<float> sgemm_narrow_kernel_avx2() {
  return {12, 8, 192, 256, 4096, &simd_micro_kernel<Avx2Float, 12, 1, true>,
          &simd_micro_kernel<Avx2Float, 12, 1, false>};
}
GemmKernel<double> dgemm_narrow_kernel_avx2() {
  return {12, 4, 96, 256, 4096, &simd_micro_kernel<Avx2Double, 12, 1, true>,
          &simd_micro_kernel<Avx2Double, 12, 1, false>};
}

}  // namespace ember::kernels::cpu::detail
#endif
