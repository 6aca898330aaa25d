// The per-element maths of the optimizers' updates, callable from host and device code (see
// functors.h), so the CPU loops and a CUDA twin update parameters identically.
//
// Note [Optimizer arithmetic order]: each update is written in the order, and with the same
// fused forms, as PyTorch's single-tensor path (add with alpha is `a + alpha * b`, addcmul is
// `a + value * b * c`, addcdiv is `a + value * b / c`, lerp switches form at weight 0.5), so
// float64 results agree with torch.optim to rounding, step after step.
#pragma once
#include <cmath>

#include "kernels/functors.h"

namespace ember::kernels {

// torch.lerp: start + w (end - start), computed from the nearer end for accuracy.
template <class T>
EMBER_HD inline T lerp(T start, T end, T w) {
  return (w < T(0.5)) ? start + w * (end - start) : end - (end - start) * (T(1) - w);
}

// SGD with momentum, dampening, Nesterov, L2 weight decay and maximize. `buf` is null without
// momentum; `first` says that buf is new and takes the (decayed) gradient as it is.
template <class T>
struct SgdUpdate {
  T lr, momentum, one_minus_dampening, weight_decay;  // 1 - dampening rounded once from double
  bool nesterov, maximize, first;
  EMBER_HD void operator()(T& p, T g, T* buf) const {
    T d = maximize ? -g : g;
    if (weight_decay != T(0)) d = d + weight_decay * p;
    if (buf) {
      T b = first ? d : *buf * momentum + one_minus_dampening * d;
      *buf = b;
      d = nesterov ? d + momentum * b : b;
    }
    p = p + (-lr) * d;
  }
};

// Adam / AdamW. step_size = lr / (1 - beta1^t) and bias_correction2_sqrt = sqrt(1 - beta2^t) are
// per-tensor scalars the op computes from the tensor's step count; decay = 1 - lr * wd (AdamW).
template <class T>
struct AdamUpdate {
  T beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, decay, step_size, bias_correction2_sqrt;
  bool amsgrad, maximize, decoupled;
  EMBER_HD void operator()(T& p, T g, T& m, T& v, T* vmax) const {
    if (maximize) g = -g;
    if (weight_decay != T(0)) {
      if (decoupled) p = p * decay;
      else g = g + weight_decay * p;
    }
    m = lerp(m, g, one_minus_beta1);
    v = v * beta2 + one_minus_beta2 * g * g;
    T second = v;
    if (vmax) {
      *vmax = (*vmax > v || *vmax != *vmax) ? *vmax : v;  // torch.maximum keeps NaN
      second = *vmax;
    }
    T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
    p = p + (-step_size) * m / denom;
  }
};

// RMSprop, plain or centered, with optional momentum. grad_avg (centered) and buf (momentum)
// are null when not in use.
template <class T>
struct RmspropUpdate {
  T lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool maximize;
  EMBER_HD void operator()(T& p, T g, T& square_avg, T* grad_avg, T* buf) const {
    if (maximize) g = -g;
    if (weight_decay != T(0)) g = g + weight_decay * p;
    square_avg = square_avg * alpha + one_minus_alpha * g * g;
    T avg;
    if (grad_avg) {
      *grad_avg = lerp(*grad_avg, g, one_minus_alpha);
      avg = std::sqrt(square_avg + T(-1) * *grad_avg * *grad_avg);
    } else {
      avg = std::sqrt(square_avg);
    }
    avg = avg + eps;
    if (buf) {
      *buf = *buf * momentum + g / avg;
      p = p + (-lr) * *buf;
    } else {
      p = p + (-lr) * g / avg;
    }
  }
};

}  // namespace ember::kernels
