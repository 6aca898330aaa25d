// The per-element maths of every elementwise op, as tiny functors callable from host and
// device code, so the CPU kernels and their CUDA twins compute exactly the same thing.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#ifdef __CUDACC__
#define EMBER_HD __host__ __device__
#else
#define EMBER_HD
#endif

namespace ember::kernels {

struct AddF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a || b; else return a + b; } };
struct SubF { template <class T> EMBER_HD T operator()(T a, T b) const { return a - b; } };
struct MulF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a && b; else return a * b; } };
struct DivF { template <class T> EMBER_HD T operator()(T a, T b) const { return a / b; } };
struct PowF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) {  // never reached (ops refuse pow of bools); a**0 = 1, a**1 = a
    return a || !b;
  } else if constexpr (std::is_integral_v<T>) {
    // Integer power by squaring; negative exponents give 0 except for bases 1 and -1 (PyTorch).
    if (b < 0) return a == 1 ? T(1) : (a == -1 ? ((b % 2) ? T(-1) : T(1)) : T(0));
    T r = 1;
    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }
    return r;
  } else {
    return std::pow(a, b);
  } } };
// NaN propagates through maximum/minimum, as in PyTorch.
struct MaxF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
  return a > b ? a : b; } };
struct MinF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
  return a < b ? a : b; } };
struct EqF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a == b; } };
struct NeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a != b; } };
struct LtF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a < b; } };
struct LeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a <= b; } };
struct GtF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a > b; } };
struct GeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a >= b; } };

struct NegF { template <class T> EMBER_HD T operator()(T x) const { return -x; } };
struct ExpF { template <class T> EMBER_HD T operator()(T x) const { return std::exp(x); } };
struct LogF { template <class T> EMBER_HD T operator()(T x) const { return std::log(x); } };
struct TanhF { template <class T> EMBER_HD T operator()(T x) const { return std::tanh(x); } };
// 1 / (1 + e^-x) overflows to 0 gracefully for very negative x, and is exact enough elsewhere.
struct SigmoidF { template <class T> EMBER_HD T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); } };
// ReLU'(0) = 0 follows from using "x > 0" in the backward (see ops/unary.cpp).
struct ReluF { template <class T> EMBER_HD T operator()(T x) const { return x > T(0) ? x : T(0); } };
struct SqrtF { template <class T> EMBER_HD T operator()(T x) const { return std::sqrt(x); } };
struct AbsF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return x < T(0) ? -x : x; } };
struct SinF { template <class T> EMBER_HD T operator()(T x) const { return std::sin(x); } };
struct CosF { template <class T> EMBER_HD T operator()(T x) const { return std::cos(x); } };
struct SignF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return T((T(0) < x) - (x < T(0))); } };

// clamp(x, lo, hi); NaN stays NaN.
template <class T>
struct ClampF {
  T lo, hi;
  bool has_lo, has_hi;
  EMBER_HD T operator()(T x) const {
    if (has_lo && x < lo) x = lo;
    if (has_hi && x > hi) x = hi;
    return x;
  }
};

}  // namespace ember::kernels
