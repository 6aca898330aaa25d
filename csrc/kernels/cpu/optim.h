// CPU kernels of the optimizer updates: one contiguous parameter tensor (and its gradient and
// state buffers, all of the same dtype and length) per call. Hyperparameters arrive as doubles
// and are rounded to the element type once, as PyTorch does with its Python scalars.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
// momentum_buf may be null (no momentum); first_step: the buffer is new and is set, not updated.
void sgd_update(DType dtype, int64_t n, void* param, const void* grad, void* momentum_buf, bool first_step,
                const SgdHyper& h);

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled_weight_decay;
};
// `step` is the tensor's step count after this update (1 on the first); max_exp_avg_sq is null
// unless amsgrad.
void adam_update(DType dtype, int64_t n, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
                 void* max_exp_avg_sq, double step, const AdamHyper& h);

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};
// grad_avg is null unless centered; momentum_buf is null unless momentum > 0.
void rmsprop_update(DType dtype, int64_t n, void* param, const void* grad, void* square_avg, void* grad_avg,
                    void* momentum_buf, const RmspropHyper& h);

}  // namespace ember::kernels::cpu
