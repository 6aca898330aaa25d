// Dispatch of the optimizer and clip_grad_norm_ kernel families (Note [One dispatch point per
// kernel family] in ops/dispatch.h): the CPU group kernel or its multi-tensor CUDA twin.
#pragma once
#include <vector>

#include "kernels/cpu/optim.h"
#include "ops/dispatch.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/optim.h"
#endif

namespace ember::dispatch {

inline void sgd_update_group(Device d, DType dtype, const std::vector<kernels::SgdSlot>& slots,
                             const kernels::SgdHyper& h) {
  if (d.is_cpu()) return kernels::cpu::sgd_update_group(dtype, slots, h);
  EMBER_CUDA_TWIN(d, sgd_update_group, dtype, slots, h);
}

inline void adam_update_group(Device d, DType dtype, const std::vector<kernels::AdamSlot>& slots,
                              const kernels::AdamHyper& h) {
  if (d.is_cpu()) return kernels::cpu::adam_update_group(dtype, slots, h);
  EMBER_CUDA_TWIN(d, adam_update_group, dtype, slots, h);
}

inline void rmsprop_update_group(Device d, DType dtype, const std::vector<kernels::RmspropSlot>& slots,
                                 const kernels::RmspropHyper& h) {
  if (d.is_cpu()) return kernels::cpu::rmsprop_update_group(dtype, slots, h);
  EMBER_CUDA_TWIN(d, rmsprop_update_group, dtype, slots, h);
}

inline void grad_norm_partials(Device d, DType dtype, const std::vector<kernels::GradSlot>& slots,
                               const kernels::GradNorm& norm, double* partials) {
  if (d.is_cpu()) return kernels::cpu::grad_norm_partials(dtype, slots, norm, partials);
  EMBER_CUDA_TWIN(d, grad_norm_partials, dtype, slots, norm, partials);
}

inline void grad_norm_finish(Device d, DType out_dtype, const double* partials, int64_t count,
                             const kernels::GradNorm& norm, void* out) {
  if (d.is_cpu()) return kernels::cpu::grad_norm_finish(out_dtype, partials, count, norm, out);
  EMBER_CUDA_TWIN(d, grad_norm_finish, out_dtype, partials, count, norm, out);
}

inline void scale_group(Device d, DType dtype, const std::vector<kernels::GradSlot>& slots, const void* scale) {
  if (d.is_cpu()) return kernels::cpu::scale_group(dtype, slots, scale);
  EMBER_CUDA_TWIN(d, scale_group, dtype, slots, scale);
}

}  // namespace ember::dispatch
