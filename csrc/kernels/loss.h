// The loss kernels: the fused softmax-cross-entropy over logits [n, classes] (contiguous) and
// int64 class targets [n] (Note [Fused cross entropy] in ops/loss.cpp), and the elementwise
// losses (mse, bce-with-logits) over contiguous buffers. kernels/cpu/loss.cpp and its CUDA twin
// kernels/cuda/loss.cu share their maths (kernels/reduce_functors.h, kernels/loss_functors.h).
// On the CPU the targets are checked before the kernels (find_bad_target); on CUDA the kernels
// check them: a target outside [0, classes) that is not ignore_index is reported at the next
// sync (Note [Errors found by kernels]) and its row is not written.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"

namespace ember::kernels {
enum class PointwiseLoss : uint8_t { SquaredError, BceWithLogits, AbsError, SmoothL1, Huber, Bce, KlDiv, KlDivLogTarget };

// Calls body(functor) with the functor of `kind` (kernels/loss_functors.h), built with its
// parameter (SmoothL1's beta, Huber's delta; the others ignore it): one switch for both twins.
template <typename Body>
void with_pointwise_loss(PointwiseLoss kind, double param, Body&& body);
}  // namespace ember::kernels

#define EMBER_LOSS_KERNELS                                                                          \
  /* The first row whose target is outside [0, classes) and is not ignore_index, or -1. The CUDA    \
     twin returns -1 at once, reading nothing: its kernels check the targets themselves, and a      \
     check here would cost a sync (Note [Cross entropy stays on the device]). */                    \
  int64_t find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index); \
  /* One pass over each row: lse[r] = logsumexp(x[r, :]) (always written, in double) and            \
       loss[r] = (1 - eps) * (lse - x[r, t]) + eps * (lse - mean_c x[r, c])                         \
     with t = target[r] and eps = label_smoothing; loss[r] = 0 where t == ignore_index. */          \
  void cross_entropy_forward(DType dtype, void* loss, double* lse, const void* logits, const int64_t* target, \
                             int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing);      \
  /* dlogits[r, c] = (exp(x[r, c] - lse[r]) - (1 - eps) [c == t] - eps / classes) * up[r], and 0   \
     on ignored rows, with up[r] = grad[r * grad_stride], divided by divisor[0] when divisor is not \
     null (a mean's count, computed in the element type as the division by a tensor would be).     \
     grad_stride is 0 when one upstream gradient (a mean or sum) serves every row. */               \
  void cross_entropy_backward(DType dtype, void* dlogits, const void* logits, const double* lse,     \
                              const int64_t* target, const void* grad, int64_t grad_stride,         \
                              const void* divisor, int64_t n, int64_t classes, int64_t ignore_index, \
                              double label_smoothing);                                              \
  /* The mean over the rows not ignored, on the device: with count = the rows whose target is not   \
     ignore_index (in the element type), loss[0] = loss[0] / count (NaN when every row is ignored,  \
     0 / 0) and divisor[0] = max(count, 1), what the backward divides by. */                        \
  void cross_entropy_mean(DType dtype, void* loss, void* divisor, const int64_t* target, int64_t n,  \
                          int64_t ignore_index);                                                    \
  /* out[i] = loss(x[i], t[i]) for i < n; floating dtypes only. `param` is SmoothL1's beta or      \
     Huber's delta. */                                                                             \
  void pointwise_loss(PointwiseLoss kind, double param, DType dtype, void* out, const void* x, const void* t, \
                      int64_t n);

EMBER_DECLARE_TWINS(EMBER_LOSS_KERNELS)

#include "kernels/loss_functors.h"

namespace ember::kernels {
template <typename Body>
void with_pointwise_loss(PointwiseLoss kind, double param, Body&& body) {
  switch (kind) {
    case PointwiseLoss::SquaredError: return body(SquaredErrorF{});
    case PointwiseLoss::BceWithLogits: return body(BceWithLogitsF{});
    case PointwiseLoss::AbsError: return body(AbsErrorF{});
    case PointwiseLoss::SmoothL1: return body(SmoothL1F{param});
    case PointwiseLoss::Huber: return body(HuberF{param});
    case PointwiseLoss::Bce: return body(BceF{});
    case PointwiseLoss::KlDiv: return body(KlDivF{false});
    case PointwiseLoss::KlDivLogTarget: return body(KlDivF{true});
  }
}
}  // namespace ember::kernels
