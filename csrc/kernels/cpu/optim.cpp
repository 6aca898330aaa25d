// The CPU optimizer updates (kernels/optim.h): a param group is one call of a per-tensor kernel per
// slot. Each per-tensor kernel takes one contiguous parameter tensor and its gradient and state
// buffers, all of the same dtype and length.
#include "kernels/optim.h"

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {
template <typename T>
T* opt_ptr(void* p, int64_t i) { return p ? static_cast<T*>(p) + i : nullptr; }

void sgd_update(DType dtype, int64_t n, void* param, const void* grad, void* momentum_buf, bool first_step,
                const SgdHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "sgd", [&] {
    using T = scalar_t;
    SgdUpdate<T> f = make_sgd_update<T>(h, first_step);
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], opt_ptr<T>(momentum_buf, i));
    });
  });
}

// Adds one to a capturable step's count (Note [Capturable Adam]).
void bump_count(const AdamSlot& s) {
  if (s.step_count_f64) *static_cast<double*>(s.step_count) += 1.0;
  else *static_cast<float*>(s.step_count) += 1.0f;
}

void adam_update(DType dtype, const AdamSlot& slot, const AdamHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "adam", [&] {
    using T = scalar_t;
    AdamUpdate<T> f = make_adam_update<T>(h, AdamStepScalars{1.0, 1.0});
    if (slot.step_count) {
      bump_count(slot);
      f.set_count(slot.step_count, slot.step_count_f64, h.lr, h.beta1, h.beta2);
    } else {
      const AdamStepScalars sc = adam_step_scalars(h, slot.step);
      f.step_size = T(sc.step_size);
      f.bias_correction2_sqrt = T(sc.bias_correction2_sqrt);
    }
    const int64_t n = slot.n;
    void* max_exp_avg_sq = slot.max_exp_avg_sq;
    auto* p = static_cast<T*>(slot.param);
    auto* g = static_cast<const T*>(slot.grad);
    auto* m = static_cast<T*>(slot.exp_avg);
    auto* v = static_cast<T*>(slot.exp_avg_sq);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], m[i], v[i], opt_ptr<T>(max_exp_avg_sq, i));
    });
  });
}

void rmsprop_update(DType dtype, int64_t n, void* param, const void* grad, void* square_avg, void* grad_avg,
                    void* momentum_buf, const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "rmsprop", [&] {
    using T = scalar_t;
    RmspropUpdate<T> f = make_rmsprop_update<T>(h);
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    auto* sq = static_cast<T*>(square_avg);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], sq[i], opt_ptr<T>(grad_avg, i), opt_ptr<T>(momentum_buf, i));
    });
  });
}

// `step` is the tensor's step count after this update (1 on the first).
void adagrad_update(DType dtype, int64_t n, void* param, const void* grad, void* sum, double step,
                    const AdagradHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "adagrad", [&] {
    using T = scalar_t;
    AdagradUpdate<T> f = make_adagrad_update<T>(h, step);
    auto* p = static_cast<T*>(param);
    auto* g = static_cast<const T*>(grad);
    auto* s = static_cast<T*>(sum);
    parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) f(p[i], g[i], s[i]);
    });
  });
}

}  // namespace

void sgd_update_group(DType dtype, const std::vector<SgdSlot>& slots, const SgdHyper& h) {
  for (const SgdSlot& s : slots) sgd_update(dtype, s.n, s.param, s.grad, s.momentum_buf, s.first_step, h);
}

void adam_update_group(DType dtype, const std::vector<AdamSlot>& slots, const AdamHyper& h) {
  for (const AdamSlot& s : slots) adam_update(dtype, s, h);
}

void rmsprop_update_group(DType dtype, const std::vector<RmspropSlot>& slots, const RmspropHyper& h) {
  for (const RmspropSlot& s : slots)
    rmsprop_update(dtype, s.n, s.param, s.grad, s.square_avg, s.grad_avg, s.momentum_buf, h);
}

void adagrad_update_group(DType dtype, const std::vector<AdagradSlot>& slots, const AdagradHyper& h) {
  for (const AdagradSlot& s : slots) adagrad_update(dtype, s.n, s.param, s.grad, s.sum, s.step, h);
}

}  // namespace ember::kernels::cpu
