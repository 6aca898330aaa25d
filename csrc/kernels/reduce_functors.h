// The maths of the reductions that the CPU kernels and their CUDA twins share (host and device
// code, see functors.h): the max/min candidate rule, the variance's pieces, and the online
// logsumexp of softmax and cross_entropy.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/functors.h"

namespace ember::kernels {

// +inf of A (std::numeric_limits is constexpr host code, which device code may not call).
template <class A>
EMBER_HD inline A infinity_of() {
  return static_cast<A>(INFINITY);
}

template <class T>
EMBER_HD inline bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

// Whether v is strictly more extreme than `best` (NaN is handled apart: see ArgExtreme).
template <class T>
EMBER_HD inline bool more_extreme(bool is_max, T v, T best) {
  return is_max ? v > best : v < best;
}

// Note [Max/min candidates]: a max/min with its index, and the rule that picks one of two
// candidates: a NaN beats any number; otherwise the more extreme value wins; between equal values
// (or two NaNs) the lower index wins, or the higher one when `last_of_ties` (x.max() and x.min()
// over everything: Note [Signed zeros in max and min]). The rule depends only on the pair, not on
// which came first, so any order of combining (a CPU thread's chunks, a GPU warp's butterfly)
// gives the first (last) index of the extreme, as a left-to-right scan does. index < 0 marks "no
// element yet".
//
// Note [Signed zeros in max and min]
// +0 and -0 are equal, so which one a max or min returns is a matter of which of the equal
// elements it keeps. PyTorch 2.13 (CPU), checked with math.copysign:
// - max(dim)/min(dim) return x[index] with the first index of the extreme, at every size;
// - amax/amin keep the earlier of equal elements (their scalar loop keeps the accumulator), which
//   is the whole answer for a contiguous reduction of fewer than 4 SIMD vectors (32 float32, 16
//   float64) and for one along an outer dim of a few columns (a (n, 32) tensor's amax(0) is
//   vectorised across its columns and keeps the later row);
// - x.max()/x.min() over everything keep the later one (their vector max returns its second
//   operand on ties), which is the whole answer for fewer than one AVX2 vector (8 float32,
//   4 float64) and for all-zero inputs;
// - maximum/minimum (and clamp) keep their first operand in the scalar loop (tensors of fewer
//   than 16 elements; longer ones take the second from their vector loop);
// - abs(-0.0) is +0.0 (the sign bit is cleared).
// Past those sizes PyTorch's choice follows its SIMD lanes (a butterfly over 8 lanes for
// float32), which ember does not imitate: there it keeps the rule above, the same on the CPU
// and the GPU.
template <class T>
struct ArgExtreme {
  T value;
  int64_t index;
};

template <class T>
EMBER_HD inline ArgExtreme<T> arg_extreme_combine(bool is_max, ArgExtreme<T> a, ArgExtreme<T> b,
                                                  bool last_of_ties = false) {
  if (a.index < 0) return b;
  if (b.index < 0) return a;
  const bool a_nan = is_nan_value(a.value), b_nan = is_nan_value(b.value);
  if (a_nan != b_nan) return a_nan ? a : b;
  if (!a_nan && a.value != b.value) return more_extreme(is_max, a.value, b.value) ? a : b;
  return (a.index <= b.index) != last_of_ties ? a : b;  // equal (+0 and -0 included) or both NaN
}

// var = sum (x - mean)^2 / max(0, n - correction): the two-pass form (mean first, then the
// squared deviations from it), which has no cancellation of sum(x^2) - n mean^2.
EMBER_HD inline double squared_deviation(double x, double mean) {
  const double d = x - mean;
  return d * d;
}
EMBER_HD inline double variance_divisor(int64_t n, double correction) {
  const double dof = static_cast<double>(n) - correction;
  return dof > 0.0 ? dof : 0.0;
}

// Note [Online logsumexp]: a running max m and a sum s of exp(x - m), rescaled whenever m grows,
// give logsumexp = m + log(s) in one read of a row. -inf entries add nothing (exp(-inf - m) would
// be NaN while m is still -inf); a NaN makes s, and so the result, NaN. Two partial states merge
// symmetrically (the same bits whichever comes first), which a GPU butterfly needs.
template <class A>
EMBER_HD inline void online_lse_add(A& m, A& s, A v) {
  const A neg_inf = -infinity_of<A>();
  if (v > m) {
    s = s * std::exp(m - v) + A(1);
    m = v;
  } else if (v != neg_inf) {
    s += std::exp(v - m);
  }
}

template <class A>
EMBER_HD inline void online_lse_merge(A& m, A& s, A m2, A s2) {
  const A hi = m > m2 ? m : m2;
  // A state with s == 0 holds nothing (its m may be -inf, where exp(m - hi) would be NaN).
  const A a = s == A(0) ? A(0) : s * std::exp(m - hi);
  const A b = s2 == A(0) ? A(0) : s2 * std::exp(m2 - hi);
  m = hi;
  s = a + b;
}

// The cross-entropy of one row from its logsumexp l, its target logit and the sum of its logits:
// (1 - eps) (l - x_t) + eps (l - mean_c x_c), eps = label_smoothing (Note [Fused cross entropy]).
EMBER_HD inline double cross_entropy_row_loss(double l, double x_target, double sum_x, int64_t classes,
                                              double label_smoothing) {
  const double nll = l - x_target;
  if (label_smoothing == 0.0) return nll;
  return (1.0 - label_smoothing) * nll + label_smoothing * (l - sum_x / static_cast<double>(classes));
}

// d(loss)/d(logit c) of one row: (softmax_c - smoothed one-hot_c) * k, with p = exp(x_c - lse),
// off = eps / classes the smoothed target of every class and k the row's upstream gradient.
EMBER_HD inline double cross_entropy_grad(double p, bool is_target, double label_smoothing, double off, double k) {
  const double smoothed = is_target ? 1.0 - label_smoothing + off : off;
  return (p - smoothed) * k;
}

}  // namespace ember::kernels
