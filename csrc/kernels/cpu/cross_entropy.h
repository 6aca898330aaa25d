// CPU kernels of the fused softmax-cross-entropy: logits [n, classes] (contiguous) and int64
// class targets [n]. See Note [Fused cross entropy] in ops/loss.cpp.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

// The first row whose target is outside [0, classes) and is not ignore_index, or -1.
int64_t find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index);

// One pass over each row: lse[r] = logsumexp(x[r, :]) (always written, in double) and
//   loss[r] = (1 - eps) * (lse - x[r, t]) + eps * (lse - mean_c x[r, c])
// with t = target[r] and eps = label_smoothing; loss[r] = 0 where t == ignore_index.
void cross_entropy_forward(DType dtype, void* loss, double* lse, const void* logits, const int64_t* target,
                           int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing);

// dlogits[r, c] = (exp(x[r, c] - lse[r]) - (1 - eps) [c == t] - eps / classes) * scale * grad[r * grad_stride]
// and 0 on ignored rows. grad_stride is 0 when one upstream gradient (a mean or sum) serves every row.
void cross_entropy_backward(DType dtype, void* dlogits, const void* logits, const double* lse,
                            const int64_t* target, const void* grad, int64_t grad_stride, double scale, int64_t n,
                            int64_t classes, int64_t ignore_index, double label_smoothing);

}  // namespace ember::kernels::cpu
