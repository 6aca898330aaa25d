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
#include "kernels/optim_args.h"

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

// Note [Capturable Adam]: with capturable=True the step count lives on the parameter's device, so
// a CUDA graph that captures step() replays a count that moves on. The bias corrections are then
// computed where the count is, in its dtype S (float32 unless made under a float64 default
// dtype), in the order of torch's foreach capturable path:
//   step_size_neg = 1 / ((beta1^t - 1) / lr) = -lr / (1 - beta1^t)
//   bias_correction2_sqrt = sqrt(-(beta2^t - 1))
// and the update divides by them as 0-d tensors would: p += m / ((sqrt(v) / bc2_sqrt + eps) / step_size_neg).
// The results differ from the host-counted step's in the last bits (float32 scalars, another
// order), as torch's do. Both twins add one to the count before they read it (on CUDA in a launch
// of its own: the blocks of the update all read it).
template <class S>
struct AdamCountScalars {
  S step_size_neg, bias_correction2_sqrt;
};
template <class S>
EMBER_HD inline AdamCountScalars<S> adam_count_scalars(S t, S lr, S beta1, S beta2) {
  S bc1 = std::pow(beta1, t) - S(1);
  bc1 = bc1 / lr;
  S bc2 = -(std::pow(beta2, t) - S(1));
  return {S(1) / bc1, std::sqrt(bc2)};
}

// Adam / AdamW. step_size = lr / (1 - beta1^t) and bias_correction2_sqrt = sqrt(1 - beta2^t) are
// per-tensor scalars the op computes from the tensor's step count; decay = 1 - lr * wd (AdamW).
// A capturable step (Note [Capturable Adam]) sets `capturable` and puts step_size_neg in step_size.
template <class T>
struct AdamUpdate {
  T beta2, one_minus_beta1, one_minus_beta2, eps, weight_decay, decay, step_size, bias_correction2_sqrt;
  bool amsgrad, maximize, decoupled, capturable;
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
    if (capturable) {
      T denom = (std::sqrt(second) / bias_correction2_sqrt + eps) / step_size;
      p = p + m / denom;
    } else {
      T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
      p = p + (-step_size) * m / denom;
    }
  }

  // The per-tensor fields of a capturable step, from the count the kernel just bumped (a 0-d
  // float32, or float64 when f64), rounded to T as torch rounds a 0-d tensor operand.
  EMBER_HD void set_count(const void* count, bool f64, double lr, double beta1, double beta2) {
    capturable = true;
    if (f64) {
      AdamCountScalars<double> s = adam_count_scalars(*static_cast<const double*>(count), lr, beta1, beta2);
      step_size = T(s.step_size_neg);
      bias_correction2_sqrt = T(s.bias_correction2_sqrt);
    } else {
      AdamCountScalars<float> s = adam_count_scalars(*static_cast<const float*>(count), float(lr), float(beta1),
                                                     float(beta2));
      step_size = T(s.step_size_neg);
      bias_correction2_sqrt = T(s.bias_correction2_sqrt);
    }
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

// Adagrad: sum += g * g (addcmul with value 1), p += -clr * g / (sqrt(sum) + eps). neg_clr is
// -lr / (1 + (step - 1) lr_decay), a per-tensor scalar the op computes from the step count.
template <class T>
struct AdagradUpdate {
  T weight_decay, eps, neg_clr;
  bool maximize;
  EMBER_HD void operator()(T& p, T g, T& sum) const {
    if (maximize) g = -g;
    if (weight_decay != T(0)) g = g + weight_decay * p;
    sum = sum + T(1) * g * g;
    T std_dev = std::sqrt(sum) + eps;
    p = p + neg_clr * g / std_dev;
  }
};

// The functors of one param group, built on the host from its hyperparameters, so the CPU
// loops and the CUDA kernels round every double hyperparameter to T in the same way. (A CUDA
// launch then sets the per-tensor fields, `first` and the Adam step scalars, per tensor.)
template <class T>
SgdUpdate<T> make_sgd_update(const SgdHyper& h, bool first) {
  return {T(h.lr), T(h.momentum), T(1.0 - h.dampening), T(h.weight_decay), h.nesterov, h.maximize, first};
}

template <class T>
AdamUpdate<T> make_adam_update(const AdamHyper& h, const AdamStepScalars& s) {
  return {T(h.beta2), T(1.0 - h.beta1), T(1.0 - h.beta2), T(h.eps), T(h.weight_decay), T(1.0 - h.lr * h.weight_decay),
          T(s.step_size), T(s.bias_correction2_sqrt), h.amsgrad, h.maximize, h.decoupled_weight_decay, false};
}

template <class T>
RmspropUpdate<T> make_rmsprop_update(const RmspropHyper& h) {
  return {T(h.lr), T(h.alpha), T(1.0 - h.alpha), T(h.eps), T(h.weight_decay), T(h.momentum), h.maximize};
}

template <class T>
AdagradUpdate<T> make_adagrad_update(const AdagradHyper& h, double step) {
  return {T(h.weight_decay), T(h.eps), T(-adagrad_clr(h, step)), h.maximize};
}

// Note [Gradient norm in partial sums]: clip_grad_norm_ reduces every gradient of a model to one
// number. Each chunk of kOptimChunk elements of each gradient gives one partial (a sum of
// |x|^p, or a max for p = inf) in double; a second pass combines the partials in a fixed order
// and takes the root. Both backends cut the gradients into the same chunks, and the CUDA one
// needs no atomics, so the result does not depend on how blocks are scheduled.
// Only p > 0 (and inf): then the norm of the per-tensor norms, which is what torch computes, is
// the norm of all the elements, so partials may cut across tensors. (torch's p = 0 counts the
// tensors with a nonzero gradient, which partials cannot give.)
struct GradNorm {
  enum Kind { One, Two, Inf, Other } kind;
  double p;
  static GradNorm of(double p) {
    Kind k = p == 1.0 ? One : p == 2.0 ? Two : std::isinf(p) ? Inf : Other;
    return {k, p};
  }
  // One element's contribution, computed in the accumulation type A.
  template <class A>
  EMBER_HD A term(A x) const {
    A a = x < A(0) ? -x : x;
    switch (kind) {
      case Two: return a * a;
      case Other: return std::pow(a, A(p));
      default: return a;  // One, Inf
    }
  }
  template <class A>
  EMBER_HD A combine(A a, A b) const {
    if (kind == Inf) return (a > b || a != a) ? a : b;  // max that keeps NaN, as torch.amax
    return a + b;
  }
  // The norm from the combined partials (0 is the identity of both combines: terms are >= 0).
  EMBER_HD double finish(double total) const {
    switch (kind) {
      case Two: return std::sqrt(total);
      case Other: return std::pow(total, 1.0 / p);
      default: return total;  // One, Inf
    }
  }
};

}  // namespace ember::kernels
