// The bodies of the simd_math.h kernels, written once with GCC/Clang vector extensions over
// EMBER_VEC_BYTES-wide registers, and compiled three times: simd_math.cpp (16 bytes, SSE2),
// simd_math_avx2.cpp (32) and simd_math_avx512.cpp (64). Plain loops over fast_expf were not
// if-converted by GCC 12 below AVX-512 ("control flow in loop"), so the vector form is spelled
// out. Anonymous namespace: Note [ISA translation units] in gemm_simd_kernel.h.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels/cpu/fast_math.h"
#include "kernels/cpu/simd_math.h"

#ifndef EMBER_VEC_BYTES
#error "define EMBER_VEC_BYTES before including simd_math_body.h"
#endif

namespace {

typedef float vfloat __attribute__((vector_size(EMBER_VEC_BYTES)));
typedef int32_t vint __attribute__((vector_size(EMBER_VEC_BYTES)));
constexpr int W = EMBER_VEC_BYTES / 4;
constexpr int64_t kChunk = 2048;  // floats summed in float lanes before moving to double

inline vfloat splat(float v) { return vfloat{} + v; }
inline vfloat load(const float* p) {
  vfloat v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
inline float hsum(vfloat v) {
  float s = 0;
  for (int l = 0; l < W; ++l) s += v[l];
  return s;
}

// fast_expf (Note [Polynomial exp]) on a whole register.
inline vfloat vexp(vfloat x) {
  vfloat xc = x < splat(88.8f) ? x : splat(88.8f);
  xc = xc > splat(-110.0f) ? xc : splat(-110.0f);
  const vfloat magic = splat(12582912.0f);
  vfloat t = xc * splat(1.44269504088896341f) + magic;
  vint n = (vint)t - (vint)magic;
  vfloat fn = t - magic;
  vfloat r = xc - fn * splat(0.693359375f);
  r = r - fn * splat(-2.12194440e-4f);
  vfloat p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  vfloat y = p * (r * r) + r + splat(1.0f);
  vint n1 = n >> 1, n2 = n - n1;
  y = y * (vfloat)((n1 + 127) << 23) * (vfloat)((n2 + 127) << 23);
  return x != x ? x : y;
}

double exp_shifted_body(float* out, const float* x, int64_t n, float shift) {
  const vfloat vs = splat(shift);
  double total = 0;
  for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const int64_t m = n - c0 < kChunk ? n - c0 : kChunk;
    const float* xc = x + c0;
    vfloat acc0 = {}, acc1 = {};
    int64_t i = 0;
    for (; i + 2 * W <= m; i += 2 * W) {
      vfloat e0 = vexp(load(xc + i) - vs), e1 = vexp(load(xc + i + W) - vs);
      if (out) {
        store(out + c0 + i, e0);
        store(out + c0 + i + W, e1);
      }
      acc0 += e0;
      acc1 += e1;
    }
    float tail = 0;
    for (; i < m; ++i) {
      float e = ember::kernels::fast_expf(xc[i] - shift);
      if (out) out[c0 + i] = e;
      tail += e;
    }
    total += static_cast<double>(hsum(acc0 + acc1)) + static_cast<double>(tail);
  }
  return total;
}

void sigmoid_body(float* out, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + W <= n; i += W) store(out + i, splat(1.0f) / (splat(1.0f) + vexp(-load(x + i))));
  for (; i < n; ++i) out[i] = ember::kernels::fast_sigmoidf(x[i]);
}

float max_body(const float* x, int64_t n) {
  vfloat m0 = splat(-__builtin_inff()), m1 = m0;
  vint nan = {};
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    vfloat a = load(x + i), b = load(x + i + W);
    nan |= (a != a) | (b != b);
    m0 = a > m0 ? a : m0;
    m1 = b > m1 ? b : m1;
  }
  m0 = m1 > m0 ? m1 : m0;
  float m = m0[0];
  bool any_nan = false;
  for (int l = 0; l < W; ++l) {
    m = m0[l] > m ? m0[l] : m;
    any_nan |= nan[l] != 0;
  }
  for (; i < n; ++i) {
    any_nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  return any_nan ? __builtin_nanf("") : m;
}

}  // namespace

#define EMBER_SIMD_MATH_TABLE() \
  ::ember::kernels::cpu::detail::SimdMathTable { &exp_shifted_body, &sigmoid_body, &max_body }
