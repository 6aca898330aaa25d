// Cumulative ops (cumsum, cumprod, logcumsumexp) along the middle axis of a contiguous
// [outer, len, inner] block: kernels/cpu/scan.cpp and its CUDA twin kernels/cuda/scan.cu. The
// combine rule and the accumulator type are here, shared by both twins.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "kernels/functors.h"
#include "kernels/twins.h"

namespace ember::kernels {

enum class ScanKind : uint8_t { Sum, Prod, LogSumExp };

// Note [Scan accumulator]: a float32 scan runs in double (PyTorch's CPU acc_type for float is
// double), so a long cumsum's last element is as good as sum()'s; int64 wraps as two's complement
// (Note [Wrapping integer arithmetic], kernels/functors.h).
template <class T>
using scan_acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <class A>
EMBER_HD inline A scan_identity(ScanKind kind) {
  if (kind == ScanKind::Prod) return A(1);
  if constexpr (std::is_floating_point_v<A>) {
    if (kind == ScanKind::LogSumExp) return -static_cast<A>(INFINITY);
  }
  return A(0);
}

// log(exp(a) + exp(b)) without overflow: max + log1p(exp(min - max)). Two -inf give -inf (not
// the NaN of -inf - -inf); a NaN propagates; +inf wins.
template <class A>
EMBER_HD inline A log_add_exp(A a, A b) {
  if (a != a || b != b) return a + b;
  const A hi = a > b ? a : b, lo = a > b ? b : a;
  if (lo == -static_cast<A>(INFINITY) || hi == static_cast<A>(INFINITY)) return hi;
  return hi + std::log1p(std::exp(lo - hi));
}

template <class A>
EMBER_HD inline A scan_combine(ScanKind kind, A a, A b) {
  if (kind == ScanKind::Sum) return wrapping_add(a, b);
  if (kind == ScanKind::Prod) return wrapping_mul(a, b);
  if constexpr (std::is_floating_point_v<A>) return log_add_exp(a, b);
  return a;  // never reached: the ops allow logcumsumexp on floating dtypes only
}

}  // namespace ember::kernels

#define EMBER_SCAN_KERNELS                                                                            \
  /* out[o, i, j] = in[o, 0, j] (+) ... (+) in[o, i, j] along the axis of length len (inclusive);      \
     `reverse` scans from the end: out[o, i, j] = in[o, i, j] (+) ... (+) in[o, len - 1, j].           \
     out and in have the same dtype: float32/float64/int64 (LogSumExp: floating only). */          \
  void scan(DType dtype, ScanKind kind, bool reverse, void* out, const void* in, int64_t outer, int64_t len, \
            int64_t inner);

EMBER_DECLARE_TWINS(EMBER_SCAN_KERNELS)
