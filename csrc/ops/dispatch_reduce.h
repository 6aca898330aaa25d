// The reductions', softmax's and the losses' dispatch points (Note [One dispatch point per kernel
// family] in ops/dispatch.h): each runs the CPU kernel or its CUDA twin, by the output's device.
#pragma once
#include "kernels/cpu/cross_entropy.h"
#include "kernels/cpu/pointwise_loss.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/softmax.h"
#include "ops/dispatch.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/loss.h"
#include "kernels/cuda/reduce.h"
#endif

namespace ember::dispatch {

inline void sum_last_axis(Device d, DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  if (d.is_cpu()) return kernels::cpu::sum_last_axis(dtype, out, in, outer, inner);
  EMBER_CUDA_TWIN(d, sum_last_axis, dtype, out, in, outer, inner);
}

inline void sum_first_axis(Device d, DType dtype, void* out, const void* in, int64_t rows, int64_t cols) {
  if (d.is_cpu()) return kernels::cpu::sum_first_axis(dtype, out, in, rows, cols);
  EMBER_CUDA_TWIN(d, sum_first_axis, dtype, out, in, rows, cols);
}

inline void var_last_axis(Device d, DType dtype, void* out, const void* in, int64_t outer, int64_t inner,
                          double correction) {
  if (d.is_cpu()) return kernels::cpu::var_last_axis(dtype, out, in, outer, inner, correction);
  EMBER_CUDA_TWIN(d, var_last_axis, dtype, out, in, outer, inner, correction);
}

inline void minmax_last_axis(Device d, DType dtype, bool is_max, void* out, int64_t* indices, const void* in,
                             int64_t outer, int64_t inner) {
  if (d.is_cpu()) return kernels::cpu::minmax_last_axis(dtype, is_max, out, indices, in, outer, inner);
  EMBER_CUDA_TWIN(d, minmax_last_axis, dtype, is_max, out, indices, in, outer, inner);
}

inline void softmax(Device d, DType dtype, bool log, void* out, const void* x, int64_t outer, int64_t dim,
                    int64_t inner) {
  if (d.is_cpu()) return kernels::cpu::softmax(dtype, log, out, x, outer, dim, inner);
  EMBER_CUDA_TWIN(d, softmax, dtype, log, out, x, outer, dim, inner);
}

inline void cross_entropy_forward(Device d, DType dtype, void* loss, double* lse, const void* logits,
                                  const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index,
                                  double label_smoothing) {
  if (d.is_cpu())
    return kernels::cpu::cross_entropy_forward(dtype, loss, lse, logits, target, n, classes, ignore_index,
                                               label_smoothing);
  EMBER_CUDA_TWIN(d, cross_entropy_forward, dtype, loss, lse, logits, target, n, classes, ignore_index,
                  label_smoothing);
}

inline void cross_entropy_backward(Device d, DType dtype, void* dlogits, const void* logits, const double* lse,
                                   const int64_t* target, const void* grad, int64_t grad_stride, double scale,
                                   int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing) {
  if (d.is_cpu())
    return kernels::cpu::cross_entropy_backward(dtype, dlogits, logits, lse, target, grad, grad_stride, scale, n,
                                                classes, ignore_index, label_smoothing);
  EMBER_CUDA_TWIN(d, cross_entropy_backward, dtype, dlogits, logits, lse, target, grad, grad_stride, scale, n,
                  classes, ignore_index, label_smoothing);
}

inline void pointwise_loss(Device d, kernels::cpu::PointwiseLoss kind, DType dtype, void* out, const void* x,
                           const void* t, int64_t n) {
  if (d.is_cpu()) return kernels::cpu::pointwise_loss(kind, dtype, out, x, t, n);
  EMBER_CUDA_TWIN(d, pointwise_loss, kind, dtype, out, x, t, n);
}

}  // namespace ember::dispatch
