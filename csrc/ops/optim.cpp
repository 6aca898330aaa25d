// The optimizers' update steps: one native call updates every parameter of a param group.
// Python (ember/optim) owns the bookkeeping (groups, state dicts, lazy state); this file owns the
// checks and hands the whole group to one kernel call per dtype (kernels/optim.h): on the CPU a
// loop over the tensors, on CUDA multi-tensor launches, so no per-parameter maths runs in Python.
//
// Note [Optimizer steps write in place]: a step writes straight into the parameters and their
// state buffers, with grad mode off and no graph recorded (PyTorch runs step() under no_grad),
// and bumps each written tensor's version counter, so a graph that saved a parameter before the
// step reports the in-place modification if it is run backward afterwards.
//
// Note [One device per param group]: a group's parameters, gradients and state buffers must all
// be on one device (the first parameter's), so that one launch can update them all. The Adam,
// RMSprop and Adagrad 'step' counters are the exception: as in PyTorch (capturable=False) they
// are 0-d floating CPU tensors, counted on the host, so Adam's bias corrections and Adagrad's
// decayed learning rate are host scalars that travel as kernel arguments and a CUDA step never
// waits for the device. Adam with capturable=True keeps its counters beside the parameters
// instead (Note [Capturable Adam]), so that a CUDA graph can replay the step.
#include <vector>

#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/optim.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

namespace {

// A parameter the kernel may write: itself when contiguous, else a contiguous copy that
// `finish` copies back.
struct Writable {
  Tensor param, work;
  void finish() {
    if (!work.is_same(param)) copy_into(param, work);
    param->bump_version();
  }
};

Writable writable(const Tensor& p) { return {p, p.is_contiguous() ? p : contiguous_clone(p)}; }

// The slots of a group split by dtype: one kernel call per dtype present.
template <class Slot>
struct SlotsByDtype {
  std::vector<Slot> f32, f64;
  void add(DType d, const Slot& s) { (d == DType::Float32 ? f32 : f64).push_back(s); }
  template <class F>
  void each(F f) const {
    if (!f32.empty()) f(DType::Float32, f32);
    if (!f64.empty()) f(DType::Float64, f64);
  }
};

void check_lengths(const char* op, size_t n, size_t m, const char* what) {
  EMBER_CHECK(n == m, Value, "[", op, "] expected one ", what, " per parameter, got ", m, " for ", n,
              " parameters");
}

void check_param(const char* op, size_t i, const Tensor& p, const Tensor& g, const Tensor& first) {
  EMBER_CHECK(p.defined() && g.defined(), Value, "[", op, "] parameter ", i, " or its gradient is None");
  EMBER_CHECK(is_floating(p.dtype()), Type, "[", op, "] parameter ", i, " has dtype ", dtype_name(p.dtype()),
              "; only floating parameters can be optimized");
  check_same_device(op, first, p);  // Note [One device per param group]
  check_same_device(op, p, g);
  EMBER_CHECK(g.sizes() == p.sizes(), Runtime, "[", op, "] gradient of parameter ", i, " has shape ",
              shape_str(g.sizes()), " but the parameter has shape ", shape_str(p.sizes()));
  EMBER_CHECK(g.dtype() == p.dtype(), Runtime, "[", op, "] gradient of parameter ", i, " has dtype ",
              dtype_name(g.dtype()), " but the parameter has dtype ", dtype_name(p.dtype()));
}

// A state buffer (exp_avg, momentum_buffer, ...) must match its parameter exactly; the optimizer
// creates them that way, so a mismatch comes from a hand-edited or foreign state dict.
void check_state(const char* op, size_t i, const char* name, const Tensor& s, const Tensor& p) {
  if (!s.defined()) return;
  check_same_device(op, p, s);
  EMBER_CHECK(s.sizes() == p.sizes() && s.dtype() == p.dtype() && s.is_contiguous(), Runtime, "[", op, "] state '",
              name, "' of parameter ", i, " has shape ", shape_str(s.sizes()), " and dtype ", dtype_name(s.dtype()),
              " (contiguous: ", s.is_contiguous(), "); expected a contiguous tensor of shape ", shape_str(p.sizes()),
              " and dtype ", dtype_name(p.dtype()));
}

void check_required(const char* op, size_t i, const char* name, const Tensor& s, const Tensor& p) {
  EMBER_CHECK(s.defined(), Value, "[", op, "] state '", name, "' of parameter ", i, " is missing");
  check_state(op, i, name, s, p);
}

// A step counter is a 0-d floating CPU tensor, as torch.optim keeps it (Note [One device per param
// group]): float32, or float64 when it was made under a float64 default dtype (torch's
// _get_scalar_dtype).
void check_step(const char* op, size_t i, const Tensor& step) {
  EMBER_CHECK(step.defined() && step.numel() == 1 && is_floating(step.dtype()) && step.device().is_cpu(),
              Runtime, "[", op, "] state 'step' of parameter ", i, " must be a one-element floating CPU tensor");
}

// A capturable step counter (Note [Capturable Adam], kernels/optim_functors.h) is a 0-d floating
// tensor on its parameter's device, where the kernel counts it.
void check_device_step(const char* op, size_t i, const Tensor& step, const Tensor& p) {
  EMBER_CHECK(step.defined() && step.numel() == 1 && is_floating(step.dtype()) && step.device() == p.device(),
              Runtime, "[", op, "] state 'step' of parameter ", i, " must be a one-element floating tensor on ",
              p.device().str(), " (capturable=True counts steps on the parameter's device)",
              step.defined() ? std::string(", got one on ") + step.device().str() : std::string());
}

// Adds one to a (checked) step counter and returns the new count.
double bump_step(const Tensor& step) {
  double count = EMBER_DISPATCH_FLOATING(step.dtype(), "step", [&] {
    scalar_t* s = step.data<scalar_t>();
    *s += scalar_t(1);
    return static_cast<double>(*s);
  });
  step->bump_version();
  return count;
}

}  // namespace

tensor_list sgd_step(const tensor_list& params, const tensor_list& grads, const tensor_list& momentum_bufs,
                     double lr, double momentum, double dampening, bool nesterov, double weight_decay,
                     bool maximize) {
  const char* op = "sgd";
  size_t n = params.size();
  check_lengths(op, n, grads.size(), "gradient");
  check_lengths(op, n, momentum_bufs.size(), "momentum buffer");
  if (n == 0) return momentum_bufs;
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i], params[0]);
    if (momentum != 0.0) check_state(op, i, "momentum_buffer", momentum_bufs[i], params[i]);
  }
  autograd::AutoGradMode no_grad(false);
  const Device device = params[0].device();
  tensor_list bufs = momentum_bufs;
  std::vector<Writable> work;
  tensor_list grads_c;
  std::vector<bool> created(n, false);
  SlotsByDtype<kernels::SgdSlot> slots;
  for (size_t i = 0; i < n; ++i) {
    work.push_back(writable(params[i]));
    const Tensor& w = work.back().work;
    grads_c.push_back(contiguous(grads[i]));
    if (momentum != 0.0 && !bufs[i].defined()) {
      bufs[i] = empty(w.sizes(), w.dtype(), w.device());  // set from the gradient by the kernel
      created[i] = true;
    }
    void* buf = momentum != 0.0 ? bufs[i].raw_data() : nullptr;
    slots.add(w.dtype(), {w.numel(), w.raw_data(), grads_c.back().raw_data(), buf, created[i]});
  }
  kernels::SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize};
  slots.each([&](DType dtype, const auto& s) { EMBER_DISPATCH_KERNEL(device, sgd_update_group, dtype, s, h); });
  for (size_t i = 0; i < n; ++i) {
    work[i].finish();
    if (momentum != 0.0 && !created[i]) bufs[i]->bump_version();
  }
  return bufs;
}

void adam_step(const tensor_list& params, const tensor_list& grads, const tensor_list& exp_avgs,
               const tensor_list& exp_avg_sqs, const tensor_list& max_exp_avg_sqs, const tensor_list& steps,
               double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled_weight_decay, bool capturable) {
  const char* op = decoupled_weight_decay ? "adamw" : "adam";
  size_t n = params.size();
  check_lengths(op, n, grads.size(), "gradient");
  check_lengths(op, n, exp_avgs.size(), "exp_avg");
  check_lengths(op, n, exp_avg_sqs.size(), "exp_avg_sq");
  check_lengths(op, n, max_exp_avg_sqs.size(), "max_exp_avg_sq");
  check_lengths(op, n, steps.size(), "step");
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i], params[0]);
    check_required(op, i, "exp_avg", exp_avgs[i], params[i]);
    check_required(op, i, "exp_avg_sq", exp_avg_sqs[i], params[i]);
    if (amsgrad) check_required(op, i, "max_exp_avg_sq", max_exp_avg_sqs[i], params[i]);
    if (capturable) check_device_step(op, i, steps[i], params[i]);
    else check_step(op, i, steps[i]);
  }
  autograd::AutoGradMode no_grad(false);
  const Device device = params[0].device();
  std::vector<Writable> work;
  tensor_list grads_c;
  SlotsByDtype<kernels::AdamSlot> slots;
  for (size_t i = 0; i < n; ++i) {
    work.push_back(writable(params[i]));
    const Tensor& w = work.back().work;
    grads_c.push_back(contiguous(grads[i]));
    void* vmax = amsgrad ? max_exp_avg_sqs[i].raw_data() : nullptr;
    kernels::AdamSlot slot{w.numel(), w.raw_data(), grads_c.back().raw_data(), exp_avgs[i].raw_data(),
                           exp_avg_sqs[i].raw_data(), vmax, 0.0};
    if (capturable) {  // the kernel counts it
      slot.step_count = steps[i].raw_data();
      slot.step_count_f64 = steps[i].dtype() == DType::Float64;
      steps[i]->bump_version();
    } else {
      slot.step = bump_step(steps[i]);
    }
    slots.add(w.dtype(), slot);
  }
  kernels::AdamHyper h{lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay};
  slots.each([&](DType dtype, const auto& s) { EMBER_DISPATCH_KERNEL(device, adam_update_group, dtype, s, h); });
  for (size_t i = 0; i < n; ++i) {
    work[i].finish();
    exp_avgs[i]->bump_version();
    exp_avg_sqs[i]->bump_version();
    if (amsgrad) max_exp_avg_sqs[i]->bump_version();
  }
}

void rmsprop_step(const tensor_list& params, const tensor_list& grads, const tensor_list& square_avgs,
                  const tensor_list& grad_avgs, const tensor_list& momentum_bufs, const tensor_list& steps, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered, bool maximize) {
  const char* op = "rmsprop";
  size_t n = params.size();
  check_lengths(op, n, grads.size(), "gradient");
  check_lengths(op, n, square_avgs.size(), "square_avg");
  check_lengths(op, n, grad_avgs.size(), "grad_avg");
  check_lengths(op, n, momentum_bufs.size(), "momentum buffer");
  check_lengths(op, n, steps.size(), "step");
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i], params[0]);
    check_required(op, i, "square_avg", square_avgs[i], params[i]);
    if (centered) check_required(op, i, "grad_avg", grad_avgs[i], params[i]);
    if (momentum > 0) check_required(op, i, "momentum_buffer", momentum_bufs[i], params[i]);
    check_step(op, i, steps[i]);
  }
  autograd::AutoGradMode no_grad(false);
  const Device device = params[0].device();
  std::vector<Writable> work;
  tensor_list grads_c;
  SlotsByDtype<kernels::RmspropSlot> slots;
  for (size_t i = 0; i < n; ++i) {
    work.push_back(writable(params[i]));
    const Tensor& w = work.back().work;
    grads_c.push_back(contiguous(grads[i]));
    void* ga = centered ? grad_avgs[i].raw_data() : nullptr;
    void* buf = momentum > 0 ? momentum_bufs[i].raw_data() : nullptr;
    bump_step(steps[i]);
    slots.add(w.dtype(), {w.numel(), w.raw_data(), grads_c.back().raw_data(), square_avgs[i].raw_data(), ga, buf});
  }
  kernels::RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
  slots.each([&](DType dtype, const auto& s) { EMBER_DISPATCH_KERNEL(device, rmsprop_update_group, dtype, s, h); });
  for (size_t i = 0; i < n; ++i) {
    work[i].finish();
    square_avgs[i]->bump_version();
    if (centered) grad_avgs[i]->bump_version();
    if (momentum > 0) momentum_bufs[i]->bump_version();
  }
}

void adagrad_step(const tensor_list& params, const tensor_list& grads, const tensor_list& state_sums,
                  const tensor_list& steps, double lr, double lr_decay, double weight_decay, double eps,
                  bool maximize) {
  const char* op = "adagrad";
  size_t n = params.size();
  check_lengths(op, n, grads.size(), "gradient");
  check_lengths(op, n, state_sums.size(), "sum");
  check_lengths(op, n, steps.size(), "step");
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i], params[0]);
    check_required(op, i, "sum", state_sums[i], params[i]);
    check_step(op, i, steps[i]);
  }
  autograd::AutoGradMode no_grad(false);
  const Device device = params[0].device();
  std::vector<Writable> work;
  tensor_list grads_c;
  SlotsByDtype<kernels::AdagradSlot> slots;
  for (size_t i = 0; i < n; ++i) {
    work.push_back(writable(params[i]));
    const Tensor& w = work.back().work;
    grads_c.push_back(contiguous(grads[i]));
    slots.add(w.dtype(), {w.numel(), w.raw_data(), grads_c.back().raw_data(), state_sums[i].raw_data(),
                          bump_step(steps[i])});
  }
  kernels::AdagradHyper h{lr, lr_decay, weight_decay, eps, maximize};
  slots.each([&](DType dtype, const auto& s) { EMBER_DISPATCH_KERNEL(device, adagrad_update_group, dtype, s, h); });
  for (size_t i = 0; i < n; ++i) {
    work[i].finish();
    state_sums[i]->bump_version();
  }
}

}  // namespace ember
