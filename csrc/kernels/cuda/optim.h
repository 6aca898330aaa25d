// CUDA twins of the group-level optimizer and clip_grad_norm_ kernels of kernels/cpu/optim.h:
// the same signatures and the same per-element functors (kernels/optim_functors.h). Each call
// queues multi-tensor launches (kernels/cuda/multi_tensor.cuh) on the current device's stream;
// pointers are device pointers except where said, and nothing here waits for the device.
#pragma once
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/optim_args.h"
#include "kernels/optim_functors.h"

namespace ember::kernels::cuda {

void sgd_update_group(DType dtype, const std::vector<SgdSlot>& slots, const SgdHyper& h);
void adam_update_group(DType dtype, const std::vector<AdamSlot>& slots, const AdamHyper& h);
void rmsprop_update_group(DType dtype, const std::vector<RmspropSlot>& slots, const RmspropHyper& h);

void grad_norm_partials(DType dtype, const std::vector<GradSlot>& slots, const GradNorm& norm, double* partials);
void grad_norm_finish(DType out_dtype, const double* partials, int64_t count, const GradNorm& norm, void* out);
// `scale` is a device pointer (a 0-d cuda tensor): the factor never visits the host.
void scale_group(DType dtype, const std::vector<GradSlot>& slots, const void* scale);

}  // namespace ember::kernels::cuda
