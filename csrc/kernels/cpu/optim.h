// CPU kernels of the optimizer updates and of clip_grad_norm_. The per-tensor kernels take one
// contiguous parameter tensor (and its gradient and state buffers, all of the same dtype and
// length); the *_group kernels take a whole param group of one dtype and are the twins of the
// multi-tensor CUDA kernels (kernels/cuda/optim.h, same signatures). Hyperparameters arrive as
// doubles and are rounded to the element type once, as PyTorch does with its Python scalars.
#pragma once
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/optim_args.h"
#include "kernels/optim_functors.h"

namespace ember::kernels::cpu {

void sgd_update(DType dtype, int64_t n, void* param, const void* grad, void* momentum_buf, bool first_step,
                const SgdHyper& h);
// `step` is the tensor's step count after this update (1 on the first).
void adam_update(DType dtype, int64_t n, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
                 void* max_exp_avg_sq, double step, const AdamHyper& h);
void rmsprop_update(DType dtype, int64_t n, void* param, const void* grad, void* square_avg, void* grad_avg,
                    void* momentum_buf, const RmspropHyper& h);

// A param group of one dtype: one call of the per-tensor kernel per slot.
void sgd_update_group(DType dtype, const std::vector<SgdSlot>& slots, const SgdHyper& h);
void adam_update_group(DType dtype, const std::vector<AdamSlot>& slots, const AdamHyper& h);
void rmsprop_update_group(DType dtype, const std::vector<RmspropSlot>& slots, const RmspropHyper& h);

// clip_grad_norm_ (Note [Gradient norm in partial sums]): grad_norm_partials writes
// norm_partial_count(slots) partials of gradients of one dtype; grad_norm_finish combines
// `count` partials into the norm, written as one element of `out_dtype`; scale_group multiplies
// every gradient in place by the one element at `scale` (of the gradients' dtype).
void grad_norm_partials(DType dtype, const std::vector<GradSlot>& slots, const GradNorm& norm, double* partials);
void grad_norm_finish(DType out_dtype, const double* partials, int64_t count, const GradNorm& norm, void* out);
void scale_group(DType dtype, const std::vector<GradSlot>& slots, const void* scale);

}  // namespace ember::kernels::cpu
