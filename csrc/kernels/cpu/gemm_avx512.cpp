// GEMM micro-kernels for AVX-512F (this file is compiled with -mavx512f -mfma; see
// Note [Runtime ISA dispatch] in cpu_features.h and Note [ISA translation units]).
#include "kernels/cpu/gemm_kernel.h"

#ifdef EMBER_X86_SIMD
#include <immintrin.h>

#include "kernels/cpu/gemm_simd_kernel.h"

namespace ember::kernels::cpu::detail {

namespace {
struct Avx512Float {
  using T = float;
  using R = __m512;
  static constexpr int W = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, R v) { _mm512_storeu_ps(p, v); }
  static R set1(T v) { return _mm512_set1_ps(v); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
};
struct Avx512Double {
  using T = double;
  using R = __m512d;
  static constexpr int W = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, R v) { _mm512_storeu_pd(p, v); }
  static R set1(T v) { return _mm512_set1_pd(v); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
};
}  // namespace

// 8 x 32 floats: 16 accumulators of the 32 zmm registers; the broadcasts fold into the FMAs.
// kc = 128 keeps a B micro-panel (16 KB) in L1; mc = 256 keeps the A block (128 KB) in L2.
GemmKernel<float> sgemm_kernel_avx512() {
  return {8, 32, 192, 256, 4096, &simd_micro_kernel<Avx512Float, 8, 2, true>,
          &simd_micro_kernel<Avx512Float, 8, 2, false>};
}
GemmKernel<double> dgemm_kernel_avx512() {
  return {8, 16, 128, 128, 4096, &simd_micro_kernel<Avx512Double, 8, 2, true>,
          &simd_micro_kernel<Avx512Double, 8, 2, false>};
}
// Note [Narrow GEMM] (gemm.cpp): 16 x 16 floats / 16 x 8 doubles, 16 accumulators of one vector.
GemmKernel<float> sgemm_narrow_kernel_avx512() {
  return {16, 16, 192, 256, 4096, &simd_micro_kernel<Avx512Float, 16, 1, true>,
          &simd_micro_kernel<Avx512Float, 16, 1, false>};
}
GemmKernel<double> dgemm_narrow_kernel_avx512() {
  return {16, 8, 128, 256, 4096, &simd_micro_kernel<Avx512Double, 16, 1, true>,
          &simd_micro_kernel<Avx512Double, 16, 1, false>};
}

}  // namespace ember::kernels::cpu::detail
#endif
