// The per-element maths of the pointwise losses, callable from host and device code (see functors.h).
#pragma once
#include <cmath>

#include "kernels/functors.h"

namespace ember::kernels {

// (x - t)^2
struct SquaredErrorF { template <class T> EMBER_HD T operator()(T x, T t) const { T d = x - t; return d * d; } };

// Note [Stable BCE with logits]: -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))
//   = max(x, 0) - x t + log(1 + exp(-|x|)),
// where exp never overflows and log1p keeps precision when exp(-|x|) is tiny.
struct BceWithLogitsF { template <class T> EMBER_HD T operator()(T x, T t) const {
  return (x > T(0) ? x : T(0)) - x * t + std::log1p(std::exp(-std::fabs(x))); } };

// |x - t|
struct AbsErrorF { template <class T> EMBER_HD T operator()(T x, T t) const { return std::fabs(x - t); } };

// Smooth L1: d^2 / (2 beta) where d = |x - t| < beta, else d - beta / 2 (beta = 0 is L1).
struct SmoothL1F {
  double beta;
  template <class T> EMBER_HD T operator()(T x, T t) const {
    const T d = std::fabs(x - t), b = T(beta);
    return d < b ? T(0.5) * d * d / b : d - T(0.5) * b;
  }
};

// Huber: d^2 / 2 where d = |x - t| < delta, else delta (d - delta / 2).
struct HuberF {
  double delta;
  template <class T> EMBER_HD T operator()(T x, T t) const {
    const T d = std::fabs(x - t), k = T(delta);
    return d < k ? T(0.5) * d * d : k * (d - T(0.5) * k);
  }
};

// BCE over probabilities, each log clamped at -100 as PyTorch does, so x = 0 or 1 stays finite:
// (t - 1) max(log(1 - x), -100) - t max(log x, -100).
struct BceF { template <class T> EMBER_HD T operator()(T x, T t) const {
  const T lo = T(-100), log_x = std::log(x), log_1mx = std::log1p(-x);
  return (t - T(1)) * (log_1mx > lo ? log_1mx : lo) - t * (log_x > lo ? log_x : lo); } };

// KL divergence of input log-probabilities x from target t: t (log t - x), 0 where t = 0 (xlogy);
// with log_target, t is a log-probability too: e^t (t - x).
struct KlDivF {
  bool log_target;
  template <class T> EMBER_HD T operator()(T x, T t) const {
    if (log_target) return std::exp(t) * (t - x);
    return t == T(0) ? T(0) - t * x : t * (std::log(t) - x);
  }
};

}  // namespace ember::kernels
