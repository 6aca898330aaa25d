// Branch-free float32 exp that compilers vectorise (std::exp is a scalar libm call).
// Note [Polynomial exp]: exp(x) = 2^n * exp(r) with n = round(x / ln 2) and r = x - n ln 2 in
// [-ln2/2, ln2/2] (ln 2 split in two constants so r is exact), exp(r) by Cephes' degree-7
// polynomial (within ~1-2 ulp over the whole range); 2^n is built in the exponent bits, as two
// factors 2^(n/2) * 2^(n - n/2) so n from -159 (results that round to 0 or a denormal) to 128 (overflow to inf) all
// round correctly without a branch. NaN in gives NaN out. Everything is select / min / max /
// integer shifts, so GCC turns the loops that call it into SSE, AVX2 or AVX-512 code.
// `static inline`: see Note [ISA translation units] in gemm_simd_kernel.h.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels/functors.h"

namespace ember::kernels {

EMBER_HD static inline float float_from_bits(int32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
EMBER_HD static inline int32_t bits_from_float(float f) {
  int32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

EMBER_HD static inline float fast_expf(float x) {
  // Past these bounds the result is inf or 0 anyway; clamping keeps n's bit tricks in range.
  float xc = x < 88.8f ? x : 88.8f;
  xc = xc > -110.0f ? xc : -110.0f;
  // round(x * log2 e) by the 1.5 * 2^23 trick: the addition rounds to an integer in the low bits.
  const float kMagic = 12582912.0f;
  float t = xc * 1.44269504088896341f + kMagic;
  int32_t n = bits_from_float(t) - bits_from_float(kMagic);
  float fn = t - kMagic;
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  int32_t n1 = n >> 1, n2 = n - n1;
  y = y * float_from_bits((n1 + 127) << 23) * float_from_bits((n2 + 127) << 23);
  return x != x ? x : y;
}

EMBER_HD static inline float fast_sigmoidf(float x) { return 1.0f / (1.0f + fast_expf(-x)); }

}  // namespace ember::kernels
