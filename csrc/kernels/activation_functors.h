// The per-element maths of the activations that ember.nn adds (GELU in its erf and tanh forms,
// their derivatives, leaky ReLU), as EMBER_HD functors so a CUDA twin computes the same values.
// The constants and the order of operations follow PyTorch's CPU kernels, so float32 results
// agree with PyTorch to rounding.
#pragma once
#include <cmath>

#include "kernels/functors.h"
#include "kernels/random_bits.h"

namespace ember::kernels {

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2 pi): the normal density at 0
constexpr double kGeluBeta = 0.79788456080286535588;     // sqrt(2/pi)
constexpr double kGeluKappa = 0.044715;

// gelu(x) = x * Phi(x), Phi the standard normal CDF (exact form) or its tanh approximation.
struct GeluF {
  bool tanh_form;
  template <class T> EMBER_HD T operator()(T x) const {
    if (tanh_form) {
      T inner = T(kGeluBeta) * (x + T(kGeluKappa) * x * x * x);
      return T(0.5) * x * (T(1) + std::tanh(inner));
    }
    return x * T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2)));
  }
};

// ReLU's backward from its output: the gradient where y > 0 (or y is NaN), else 0. A select, not
// g * [y > 0]: an infinite or NaN g on a zeroed element gives 0, as PyTorch's threshold_backward.
struct ReluGradF {
  template <class T> EMBER_HD T operator()(T g, T y) const { return y <= T(0) ? T(0) : g; }
};

// d gelu / dx: Phi(x) + x phi(x) (exact form); the derivative of the tanh formula otherwise.
struct GeluGradF {
  bool tanh_form;
  template <class T> EMBER_HD T operator()(T x) const {
    if (tanh_form) {
      T x_sq = x * x;
      T inner = T(kGeluBeta) * (x + T(kGeluKappa) * x_sq * x);
      T t = std::tanh(inner);
      T left_derivative = T(0.5) * (T(1) + t);
      T right_derivative = T(0.5) * x * (T(1) - t * t) * T(kGeluBeta) * (T(1) + T(3 * kGeluKappa) * x_sq);
      return left_derivative + right_derivative;
    }
    T cdf = T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2)));
    T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    return cdf + x * pdf;
  }
};

template <class T>
struct LeakyReluF {
  T slope;
  EMBER_HD T operator()(T x) const { return x > T(0) ? x : x * slope; }
};

// ELU in PyTorch's form: negcoef = alpha * scale, poscoef = scale, negiptcoef = input_scale.
template <class T>
struct EluF {
  T negcoef, poscoef, negiptcoef;
  EMBER_HD T operator()(T x) const { return x <= T(0) ? std::expm1(x * negiptcoef) * negcoef : x * poscoef; }
};

// Softplus; above the threshold it is the identity (as PyTorch), which also avoids e^x overflow.
template <class T>
struct SoftplusF {
  T beta, threshold;
  EMBER_HD T operator()(T x) const { return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta; }
};

// Whether dropout keeps element i: its draw is uniform01(seed, i) (Note [Counter-based
// generator]), integer arithmetic only, so the CPU kernel and its CUDA twin drop the same
// elements for the same seed. The mask value is then 1/(1-p) where kept, else 0.
EMBER_HD inline bool dropout_keeps(uint64_t seed, int64_t i, double p) {
  return uniform01<double>(seed, static_cast<uint64_t>(i)) >= p;
}

}  // namespace ember::kernels
