#include "kernels/cpu/optim.h"

#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/optim_functors.h"

namespace ember::kernels::cpu {

namespace {
template <typename T>
T* opt_ptr(void* p, int64_t i) { return p ? static_cast<T*>(p) + i : nullptr; }
}  // namespace

void sgd_update(DType dtype, int64_t n, void* param, const void* grad, void* momentum_buf, bool first_step,
                const SgdHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "sgd", [&] {
    using T = scalar_t;
    SgdUpdate<T> f{T(h.lr), T(h.momentum), T(1.0 - h.dampening), T(h.weight_decay), h.nesterov, h.maximize, first_step};
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], opt_ptr<T>(momentum_buf, i));
    });
  });
}

void adam_update(DType dtype, int64_t n, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
                 void* max_exp_avg_sq, double step, const AdamHyper& h) {
  // Per-tensor scalars in double, as PyTorch computes them in Python before the tensor ops.
  double bias_correction1 = 1.0 - std::pow(h.beta1, step);
  double bias_correction2 = 1.0 - std::pow(h.beta2, step);
  double step_size = h.lr / bias_correction1;
  double bias_correction2_sqrt = std::pow(bias_correction2, 0.5);  // Python's `** 0.5`
  EMBER_DISPATCH_FLOATING(dtype, "adam", [&] {
    using T = scalar_t;
    AdamUpdate<T> f{T(h.beta2), T(1.0 - h.beta1), T(1.0 - h.beta2), T(h.eps), T(h.weight_decay),
                    T(1.0 - h.lr * h.weight_decay),
                    T(step_size), T(bias_correction2_sqrt), h.amsgrad, h.maximize, h.decoupled_weight_decay};
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    auto* m = static_cast<T*>(exp_avg);
    auto* v = static_cast<T*>(exp_avg_sq);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], m[i], v[i], opt_ptr<T>(max_exp_avg_sq, i));
    });
  });
}

void rmsprop_update(DType dtype, int64_t n, void* param, const void* grad, void* square_avg, void* grad_avg,
                    void* momentum_buf, const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "rmsprop", [&] {
    using T = scalar_t;
    RmspropUpdate<T> f{T(h.lr), T(h.alpha), T(1.0 - h.alpha), T(h.eps), T(h.weight_decay), T(h.momentum), h.maximize};
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    auto* sq = static_cast<T*>(square_avg);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], sq[i], opt_ptr<T>(grad_avg, i), opt_ptr<T>(momentum_buf, i));
    });
  });
}

}  // namespace ember::kernels::cpu
