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

// Note [Wrapping integer arithmetic]
// PyTorch's integer add, sub, mul, neg, abs, pow, sum and cumsum wrap around as two's complement
// (int64: 2**62 * 4 == 0, -(-2**63) == abs(-2**63) == -2**63). In C++ a signed overflow is
// undefined behaviour: the compiler may assume it never happens, and UBSan reports it. So the
// integer forms compute in the unsigned type of the same width (at least unsigned int, so that
// a narrow type is not promoted back to a signed int), where wrapping is the defined meaning, and
// convert back, which is modular on every compiler ember supports (and by the standard since
// C++20). Floating types and bool pass straight through. These are host and device functions,
// used by the CPU kernels and their CUDA twins alike, so both wrap to the same bits.
template <class T>
inline constexpr bool is_wrapping_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <class T>
using wrap_unsigned_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <class T>
EMBER_HD inline T wrapping_add(T a, T b) {
  if constexpr (is_wrapping_int_v<T>) return static_cast<T>(wrap_unsigned_t<T>(a) + wrap_unsigned_t<T>(b));
  else return a + b;
}
template <class T>
EMBER_HD inline T wrapping_sub(T a, T b) {
  if constexpr (is_wrapping_int_v<T>) return static_cast<T>(wrap_unsigned_t<T>(a) - wrap_unsigned_t<T>(b));
  else return a - b;
}
template <class T>
EMBER_HD inline T wrapping_mul(T a, T b) {
  if constexpr (is_wrapping_int_v<T>) return static_cast<T>(wrap_unsigned_t<T>(a) * wrap_unsigned_t<T>(b));
  else return a * b;
}
template <class T>
EMBER_HD inline T wrapping_neg(T a) {
  if constexpr (is_wrapping_int_v<T>) return static_cast<T>(wrap_unsigned_t<T>(0) - wrap_unsigned_t<T>(a));
  else return -a;
}

struct AddF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a || b; else return wrapping_add(a, b); } };
struct SubF { template <class T> EMBER_HD T operator()(T a, T b) const { return wrapping_sub(a, b); } };
struct MulF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a && b; else return wrapping_mul(a, b); } };
struct DivF { template <class T> EMBER_HD T operator()(T a, T b) const { return a / b; } };
struct PowF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) {  // never reached (ops refuse pow of bools); a**0 = 1, a**1 = a
    return a || !b;
  } else if constexpr (std::is_integral_v<T>) {
    // Integer power by squaring; negative exponents give 0 except for bases 1 and -1 (PyTorch).
    // The products wrap (Note [Wrapping integer arithmetic]): 3**40 in int64 is PyTorch's value.
    if (b < 0) return a == 1 ? T(1) : (a == -1 ? ((b % 2) ? T(-1) : T(1)) : T(0));
    T r = 1;
    while (b) { if (b & 1) r = wrapping_mul(r, a); a = wrapping_mul(a, a); b >>= 1; }
    return r;
  } else {
    return std::pow(a, b);
  } } };
// NaN propagates through maximum/minimum, as in PyTorch.
// Between equal values (+0 and -0) the first operand wins, as in PyTorch's scalar loop
// (Note [Signed zeros in max and min]).
struct MaxF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
  return b > a ? b : a; } };
struct MinF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
  return b < a ? b : a; } };
// fmax / fmin ignore a NaN operand (NaN only when both are), as C's fmax and PyTorch's.
struct FmaxF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a) return b; if (b != b) return a; }
  return a > b ? a : b; } };
struct FminF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) { if (a != a) return b; if (b != b) return a; }
  return a < b ? a : b; } };
struct EqF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a == b; } };
struct NeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a != b; } };
struct LtF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a < b; } };
struct LeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a <= b; } };
struct GtF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a > b; } };
struct GeF { template <class T> EMBER_HD bool operator()(T a, T b) const { return a >= b; } };

struct NegF { template <class T> EMBER_HD T operator()(T x) const { return wrapping_neg(x); } };
struct ExpF { template <class T> EMBER_HD T operator()(T x) const { return std::exp(x); } };
struct LogF { template <class T> EMBER_HD T operator()(T x) const { return std::log(x); } };
struct TanhF { template <class T> EMBER_HD T operator()(T x) const { return std::tanh(x); } };
// 1 / (1 + e^-x) overflows to 0 gracefully for very negative x, and is exact enough elsewhere.
struct SigmoidF { template <class T> EMBER_HD T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); } };
// ReLU'(0) = 0 follows from using "x > 0" in the backward (see ops/unary.cpp).
// NaN and -0.0 pass through unchanged, as in PyTorch (max(x, 0) that never replaces x unless x < 0).
struct ReluF { template <class T> EMBER_HD T operator()(T x) const { return x < T(0) ? T(0) : x; } };
struct SqrtF { template <class T> EMBER_HD T operator()(T x) const { return std::sqrt(x); } };
// fabs clears the sign bit: |-0.0| is +0.0 (and |-NaN| a NaN without sign), as PyTorch's.
struct AbsF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x;
  else if constexpr (std::is_floating_point_v<T>) return std::fabs(x);
  else return x < T(0) ? wrapping_neg(x) : x; } };  // abs(INT64_MIN) wraps to itself, as PyTorch
struct SinF { template <class T> EMBER_HD T operator()(T x) const { return std::sin(x); } };
struct CosF { template <class T> EMBER_HD T operator()(T x) const { return std::cos(x); } };
struct SignF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return x; else return T((T(0) < x) - (x < T(0))); } };

// ---- rounding: integers are already whole (floor of int64 is itself, as in PyTorch).
// round is half to even: nearbyint in the default rounding mode, as PyTorch's kernel.
struct RoundF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x); else return x; } };
struct FloorF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::floor(x); else return x; } };
struct CeilF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::ceil(x); else return x; } };
struct TruncF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::trunc(x); else return x; } };
struct FracF { template <class T> EMBER_HD T operator()(T x) const { return x - std::trunc(x); } };

// ---- floating maths (the ops compute integer inputs in float32: DtypeRule ToFloat)
struct ErfF { template <class T> EMBER_HD T operator()(T x) const { return std::erf(x); } };
struct ErfcF { template <class T> EMBER_HD T operator()(T x) const { return std::erfc(x); } };
struct Log1pF { template <class T> EMBER_HD T operator()(T x) const { return std::log1p(x); } };
struct Expm1F { template <class T> EMBER_HD T operator()(T x) const { return std::expm1(x); } };
struct Log2F { template <class T> EMBER_HD T operator()(T x) const { return std::log2(x); } };
struct Log10F { template <class T> EMBER_HD T operator()(T x) const { return std::log10(x); } };
struct Exp2F { template <class T> EMBER_HD T operator()(T x) const { return std::exp2(x); } };
struct RsqrtF { template <class T> EMBER_HD T operator()(T x) const { return T(1) / std::sqrt(x); } };
struct SquareF { template <class T> EMBER_HD T operator()(T x) const { return wrapping_mul(x, x); } };
struct ReciprocalF { template <class T> EMBER_HD T operator()(T x) const { return T(1) / x; } };
struct TanF { template <class T> EMBER_HD T operator()(T x) const { return std::tan(x); } };
struct AsinF { template <class T> EMBER_HD T operator()(T x) const { return std::asin(x); } };
struct AcosF { template <class T> EMBER_HD T operator()(T x) const { return std::acos(x); } };
struct AtanF { template <class T> EMBER_HD T operator()(T x) const { return std::atan(x); } };
struct SinhF { template <class T> EMBER_HD T operator()(T x) const { return std::sinh(x); } };
struct CoshF { template <class T> EMBER_HD T operator()(T x) const { return std::cosh(x); } };

// ---- activations without parameters, in PyTorch's CPU formulas (so float32 agrees to rounding)
struct SiluF { template <class T> EMBER_HD T operator()(T x) const { return x / (T(1) + std::exp(-x)); } };
struct MishF { template <class T> EMBER_HD T operator()(T x) const { return x * std::tanh(std::log1p(std::exp(x))); } };
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
struct SeluF { template <class T> EMBER_HD T operator()(T x) const {
  return x <= T(0) ? T(kSeluScale) * T(kSeluAlpha) * std::expm1(x) : T(kSeluScale) * x; } };
// log(sigmoid x) = min(x, 0) - log1p(e^-|x|): no overflow on either side.
struct LogsigmoidF { template <class T> EMBER_HD T operator()(T x) const {
  return (x < T(0) ? x : T(0)) - std::log1p(std::exp(-std::fabs(x))); } };

// ---- bitwise ops (integers and bool; on bool they are the logical ones)
struct BitwiseNotF { template <class T> EMBER_HD T operator()(T x) const {
  if constexpr (std::is_same_v<T, bool>) return !x; else return ~x; } };
struct BitAndF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a && b; else return a & b; } };
struct BitOrF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a || b; else return a | b; } };
struct BitXorF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_same_v<T, bool>) return a != b; else return a ^ b; } };

// ---- predicates (bool results)
struct IsnanF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return x != x; else return false; } };
struct IsinfF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::isinf(x); else return false; } };
struct IsfiniteF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::isfinite(x); else return true; } };
struct IsposinfF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::isinf(x) && x > T(0); else return false; } };
struct IsneginfF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::isinf(x) && x < T(0); else return false; } };
// The sign bit itself: true for -0.0 and for a NaN with its sign bit set, as in PyTorch.
struct SignbitF { template <class T> EMBER_HD bool operator()(T x) const {
  if constexpr (std::is_floating_point_v<T>) return std::signbit(x);
  else if constexpr (std::is_same_v<T, bool>) return false;
  else return x < T(0); } };
struct LogicalNotF { template <class T> EMBER_HD bool operator()(T x) const { return !static_cast<bool>(x); } };
struct LogicalAndF { template <class T> EMBER_HD bool operator()(T a, T b) const {
  return static_cast<bool>(a) && static_cast<bool>(b); } };
struct LogicalOrF { template <class T> EMBER_HD bool operator()(T a, T b) const {
  return static_cast<bool>(a) || static_cast<bool>(b); } };
struct LogicalXorF { template <class T> EMBER_HD bool operator()(T a, T b) const {
  return static_cast<bool>(a) != static_cast<bool>(b); } };

// ---- division-like binary ops. Note [Integer division by zero]: the CPU ops refuse an integer
// zero divisor before the kernel runs (PyTorch's "ZeroDivisionError"); the functors still never
// divide by zero or overflow (INT64_MIN / -1), so a CUDA kernel, which cannot raise, gives 0
// (or wraps) instead of trapping.
template <class T>
EMBER_HD T int_div_trunc(T a, T b) { return b == 0 ? T(0) : (b == T(-1) ? wrapping_neg(a) : T(a / b)); }
template <class T>
EMBER_HD T int_mod_trunc(T a, T b) { return (b == 0 || b == T(-1)) ? T(0) : T(a % b); }
// C's fmod: the result has the dividend's sign.
struct FmodF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b); else return int_mod_trunc(a, b); } };
// Python's %: the result has the divisor's sign (PyTorch's remainder: a - b * floor(a / b)).
struct RemainderF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) {
    T m = std::fmod(a, b);
    if (m != T(0) && ((b < T(0)) != (m < T(0)))) m += b;
    return m;
  } else {
    T m = int_mod_trunc(a, b);
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
  } } };
// Python's //, as PyTorch's div(rounding_mode="floor"): computed from fmod so that the quotient
// of floats is exact where a / b would round across an integer.
struct FloorDivideF { template <class T> EMBER_HD T operator()(T a, T b) const {
  if constexpr (std::is_floating_point_v<T>) {
    if (b == T(0)) return a / b;
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
    T floordiv;
    if (div != T(0)) {
      floordiv = std::floor(div);
      if (div - floordiv > T(0.5)) floordiv += T(1);
    } else {
      floordiv = std::copysign(T(0), a / b);
    }
    return floordiv;
  } else {
    T q = int_div_trunc(a, b);
    if (int_mod_trunc(a, b) != 0 && ((a < 0) != (b < 0))) q -= 1;
    return q;
  } } };
struct Atan2F { template <class T> EMBER_HD T operator()(T a, T b) const { return std::atan2(a, b); } };
struct HypotF { template <class T> EMBER_HD T operator()(T a, T b) const { return std::hypot(a, b); } };
struct CopysignF { template <class T> EMBER_HD T operator()(T a, T b) const { return std::copysign(a, b); } };
// x * log(y), 0 where x == 0 (even for y == 0), NaN where y is NaN.
struct XlogyF { template <class T> EMBER_HD T operator()(T x, T y) const {
  if (y != y) return y;
  if (x == T(0)) return T(0);
  return x * std::log(y); } };

// clamp(x, lo, hi) = min(max(x, lo), hi) with NaN propagating, as PyTorch: a NaN x stays NaN and
// a NaN bound makes every output NaN.
template <class T>
struct ClampF {
  T lo, hi;
  bool has_lo, has_hi;
  EMBER_HD T operator()(T x) const {
    if (has_lo && (x < lo || lo != lo)) x = lo;
    if (has_hi && (x > hi || hi != hi)) x = hi;
    return x;
  }
};

// Note [Float to integer conversion]: C++ leaves a float outside the integer's range, or NaN,
// undefined. PyTorch's CPU gives what x86's conversion gives there, the type's minimum (int32:
// -2^31 for 3e9, 1e20, inf or NaN), and so does ember, on both devices, without the undefined
// cast. Every other conversion is the plain one (bool: nonzero; float to int: toward zero).
template <typename To>
struct ConvertF {
  template <typename From>
  EMBER_HD To operator()(From v) const {
    if constexpr (std::is_integral_v<To> && !std::is_same_v<To, bool> && std::is_floating_point_v<From>) {
      using U = std::make_unsigned_t<To>;
      constexpr From limit = static_cast<From>(U(1) << (sizeof(To) * 8 - 1));  // 2^(bits - 1), exact
      return v >= -limit && v < limit ? static_cast<To>(v) : static_cast<To>(-limit);
    } else {
      return static_cast<To>(v);
    }
  }
};

}  // namespace ember::kernels
