// CUDA twins of kernels/cpu/cross_entropy.h and kernels/cpu/pointwise_loss.h: the same signatures
// and maths (kernels/reduce_functors.h, kernels/loss_functors.h), queued on the current device's
// stream. Pointers are device pointers; nothing here waits for the device.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/cpu/pointwise_loss.h"

namespace ember::kernels::cuda {

// Targets are checked by the kernels, not beforehand on the host: a target outside [0, classes)
// that is not ignore_index is reported at the next sync (Note [Errors found by kernels]) and its
// row is not written.
void cross_entropy_forward(DType dtype, void* loss, double* lse, const void* logits, const int64_t* target,
                           int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing);
void cross_entropy_backward(DType dtype, void* dlogits, const void* logits, const double* lse,
                            const int64_t* target, const void* grad, int64_t grad_stride, double scale, int64_t n,
                            int64_t classes, int64_t ignore_index, double label_smoothing);

void pointwise_loss(cpu::PointwiseLoss kind, DType dtype, void* out, const void* x, const void* t, int64_t n);

}  // namespace ember::kernels::cuda
