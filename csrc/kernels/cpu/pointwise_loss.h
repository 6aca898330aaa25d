// CPU kernels of the elementwise losses (mse, bce-with-logits) over contiguous buffers.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

enum class PointwiseLoss : uint8_t { SquaredError, BceWithLogits };

// out[i] = loss(x[i], t[i]) for i < n; floating dtypes only.
void pointwise_loss(PointwiseLoss kind, DType dtype, void* out, const void* x, const void* t, int64_t n);

}  // namespace ember::kernels::cpu
