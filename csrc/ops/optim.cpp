// The optimizers' update steps: one native call updates every parameter of a param group.
// Python (ember/optim) owns the bookkeeping (groups, state dicts, lazy state); this file owns the
// arithmetic, so no per-parameter maths runs in Python.
//
// Note [Optimizer steps write in place]: a step writes straight into the parameters and their
// state buffers, with grad mode off and no graph recorded (PyTorch runs step() under no_grad),
// and bumps each written tensor's version counter, so a graph that saved a parameter before the
// step reports the in-place modification if it is run backward afterwards.
#include "autograd/grad_mode.h"
#include "kernels/cpu/optim.h"
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

void check_lengths(const char* op, size_t n, size_t m, const char* what) {
  EMBER_CHECK(n == m, Value, "[", op, "] expected one ", what, " per parameter, got ", m, " for ", n,
              " parameters");
}

void check_param(const char* op, size_t i, const Tensor& p, const Tensor& g) {
  EMBER_CHECK(p.defined() && g.defined(), Value, "[", op, "] parameter ", i, " or its gradient is None");
  EMBER_CHECK(is_floating(p.dtype()), Type, "[", op, "] parameter ", i, " has dtype ", dtype_name(p.dtype()),
              "; only floating parameters can be optimized");
  EMBER_CHECK(p.device().is_cpu() && g.device().is_cpu(), NotImplemented, "[", op,
              "] only CPU parameters are supported by this build (parameter ", i, " is on ", p.device().str(), ")");
  EMBER_CHECK(g.sizes() == p.sizes(), Runtime, "[", op, "] gradient of parameter ", i, " has shape ",
              shape_str(g.sizes()), " but the parameter has shape ", shape_str(p.sizes()));
  EMBER_CHECK(g.dtype() == p.dtype(), Runtime, "[", op, "] gradient of parameter ", i, " has dtype ",
              dtype_name(g.dtype()), " but the parameter has dtype ", dtype_name(p.dtype()));
}

// A state buffer (exp_avg, momentum_buffer, ...) must match its parameter exactly; the optimizer
// creates them that way, so a mismatch comes from a hand-edited or foreign state dict.
void* state_ptr(const char* op, size_t i, const char* name, const Tensor& s, const Tensor& p) {
  if (!s.defined()) return nullptr;
  EMBER_CHECK(s.sizes() == p.sizes() && s.dtype() == p.dtype() && s.is_contiguous() && s.device() == p.device(),
              Runtime, "[", op, "] state '", name, "' of parameter ", i, " has shape ", shape_str(s.sizes()),
              " and dtype ", dtype_name(s.dtype()), " (contiguous: ", s.is_contiguous(),
              "); expected a contiguous tensor of shape ", shape_str(p.sizes()), " and dtype ", dtype_name(p.dtype()));
  return s.raw_data();
}

void* required_state(const char* op, size_t i, const char* name, const Tensor& s, const Tensor& p) {
  EMBER_CHECK(s.defined(), Value, "[", op, "] state '", name, "' of parameter ", i, " is missing");
  return state_ptr(op, i, name, s, p);
}

// Adds one to a step counter (a 0-d float32 tensor, as torch.optim keeps it) and returns the new count.
double bump_step(const char* op, size_t i, const Tensor& step) {
  EMBER_CHECK(step.defined() && step.numel() == 1 && step.dtype() == DType::Float32 && step.device().is_cpu(),
              Runtime, "[", op, "] state 'step' of parameter ", i, " must be a one-element float32 CPU tensor");
  float* s = step.data<float>();
  *s += 1.0f;
  step->bump_version();
  return static_cast<double>(*s);
}

}  // namespace

tensor_list sgd_step(const tensor_list& params, const tensor_list& grads, const tensor_list& momentum_bufs,
                     double lr, double momentum, double dampening, bool nesterov, double weight_decay,
                     bool maximize) {
  const char* op = "sgd";
  check_lengths(op, params.size(), grads.size(), "gradient");
  check_lengths(op, params.size(), momentum_bufs.size(), "momentum buffer");
  autograd::AutoGradMode no_grad(false);
  kernels::cpu::SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, maximize};
  tensor_list bufs = momentum_bufs;
  for (size_t i = 0; i < params.size(); ++i) {
    check_param(op, i, params[i], grads[i]);
    Writable w = writable(params[i]);
    Tensor g = contiguous(grads[i]);
    bool first = false;
    if (momentum != 0.0 && !bufs[i].defined()) {
      bufs[i] = empty(w.work.sizes(), w.work.dtype(), w.work.device());  // set from the gradient below
      first = true;
    }
    void* buf = momentum != 0.0 ? state_ptr(op, i, "momentum_buffer", bufs[i], w.work) : nullptr;
    kernels::cpu::sgd_update(w.work.dtype(), w.work.numel(), w.work.raw_data(), g.raw_data(), buf, first, h);
    w.finish();
    if (buf && !first) bufs[i]->bump_version();
  }
  return bufs;
}

void adam_step(const tensor_list& params, const tensor_list& grads, const tensor_list& exp_avgs,
               const tensor_list& exp_avg_sqs, const tensor_list& max_exp_avg_sqs, const tensor_list& steps,
               double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled_weight_decay) {
  const char* op = decoupled_weight_decay ? "adamw" : "adam";
  size_t n = params.size();
  check_lengths(op, n, grads.size(), "gradient");
  check_lengths(op, n, exp_avgs.size(), "exp_avg");
  check_lengths(op, n, exp_avg_sqs.size(), "exp_avg_sq");
  check_lengths(op, n, max_exp_avg_sqs.size(), "max_exp_avg_sq");
  check_lengths(op, n, steps.size(), "step");
  autograd::AutoGradMode no_grad(false);
  kernels::cpu::AdamHyper h{lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay};
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i]);
    Writable w = writable(params[i]);
    Tensor g = contiguous(grads[i]);
    void* m = required_state(op, i, "exp_avg", exp_avgs[i], w.work);
    void* v = required_state(op, i, "exp_avg_sq", exp_avg_sqs[i], w.work);
    void* vmax = amsgrad ? required_state(op, i, "max_exp_avg_sq", max_exp_avg_sqs[i], w.work) : nullptr;
    double step = bump_step(op, i, steps[i]);
    kernels::cpu::adam_update(w.work.dtype(), w.work.numel(), w.work.raw_data(), g.raw_data(), m, v, vmax, step, h);
    w.finish();
    exp_avgs[i]->bump_version();
    exp_avg_sqs[i]->bump_version();
    if (vmax) max_exp_avg_sqs[i]->bump_version();
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
  autograd::AutoGradMode no_grad(false);
  kernels::cpu::RmspropHyper h{lr, alpha, eps, weight_decay, momentum, centered, maximize};
  for (size_t i = 0; i < n; ++i) {
    check_param(op, i, params[i], grads[i]);
    Writable w = writable(params[i]);
    Tensor g = contiguous(grads[i]);
    void* sq = required_state(op, i, "square_avg", square_avgs[i], w.work);
    void* ga = centered ? required_state(op, i, "grad_avg", grad_avgs[i], w.work) : nullptr;
    void* buf = momentum > 0 ? required_state(op, i, "momentum_buffer", momentum_bufs[i], w.work) : nullptr;
    bump_step(op, i, steps[i]);
    kernels::cpu::rmsprop_update(w.work.dtype(), w.work.numel(), w.work.raw_data(), g.raw_data(), sq, ga, buf, h);
    w.finish();
    square_avgs[i]->bump_version();
    if (ga) grad_avgs[i]->bump_version();
    if (buf) momentum_bufs[i]->bump_version();
  }
}

}  // namespace ember
