// What the optimizer kernels take, shared by the CPU kernels and their CUDA twins: the
// hyperparameters of one param group, and one "slot" per tensor of the group (its length and the
// pointers of its parameter, gradient and state buffers). No TensorImpl, no CUDA types.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace ember::kernels {

// Note [Multi-tensor chunks]: the CUDA optimizer kernels update a whole param group in one
// launch (kernels/cuda/multi_tensor.cuh): each block takes one chunk of kOptimChunk elements of
// one tensor, as torch's multi_tensor_apply does. The gradient norm's partial sums are per chunk
// too, and the CPU twin cuts the gradients the same way (see Note [Gradient norm in partial sums]).
constexpr int64_t kOptimChunk = 8192;

inline int64_t chunks_of(int64_t n) { return (n + kOptimChunk - 1) / kOptimChunk; }

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// momentum_buf is null without momentum; first_step: the buffer is new and is set, not updated.
struct SgdSlot {
  int64_t n;
  void* param;
  const void* grad;
  void* momentum_buf;
  bool first_step;
};

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled_weight_decay;
};
// step: the tensor's step count after this update (1 on the first), counted on the host;
// max_exp_avg_sq is null unless amsgrad. A capturable step (Note [Capturable Adam]) instead has
// its counter beside the parameter: step_count points at it (a 0-d float32, or float64 when
// step_count_f64), the kernel adds one to it and `step` is unused.
struct AdamSlot {
  int64_t n;
  void* param;
  const void* grad;
  void* exp_avg;
  void* exp_avg_sq;
  void* max_exp_avg_sq;
  double step;
  void* step_count = nullptr;
  bool step_count_f64 = false;
};

// The per-tensor scalars of an Adam update, in double, as PyTorch computes them in Python from
// the (CPU) step count before its tensor ops: both backends round them to the element type once.
struct AdamStepScalars {
  double step_size, bias_correction2_sqrt;
};
inline AdamStepScalars adam_step_scalars(const AdamHyper& h, double step) {
  double bias_correction1 = 1.0 - std::pow(h.beta1, step);
  double bias_correction2 = 1.0 - std::pow(h.beta2, step);
  return {h.lr / bias_correction1, std::pow(bias_correction2, 0.5)};  // Python's `** 0.5`
}

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
// grad_avg is null unless centered; momentum_buf is null unless momentum > 0.
struct RmspropSlot {
  int64_t n;
  void* param;
  const void* grad;
  void* square_avg;
  void* grad_avg;
  void* momentum_buf;
};

struct AdagradHyper {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
};
// step: the tensor's step count after this update (1 on the first).
struct AdagradSlot {
  int64_t n;
  void* param;
  const void* grad;
  void* sum;
  double step;
};

// Adagrad's per-tensor learning rate lr / (1 + (step - 1) lr_decay), in double from the (CPU)
// step count, as PyTorch computes `clr` in Python: both backends round it to the element type once.
inline double adagrad_clr(const AdagradHyper& h, double step) { return h.lr / (1.0 + (step - 1.0) * h.lr_decay); }

// A gradient whose norm clip_grad_norm_ takes (read only) or that it scales (written).
struct GradSlot {
  int64_t n;
  void* data;
};

// How many partials a gradient norm over `slots` has: one per chunk of each gradient.
inline int64_t norm_partial_count(const std::vector<GradSlot>& slots) {
  int64_t count = 0;
  for (const GradSlot& s : slots) count += chunks_of(s.n);
  return count;
}

}  // namespace ember::kernels
