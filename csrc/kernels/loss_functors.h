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

}  // namespace ember::kernels
