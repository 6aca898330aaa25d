// The optimizer updates of a whole param group of one dtype: kernels/cpu/optim.cpp (one
// per-tensor loop per slot) and its CUDA twin kernels/cuda/optim.cu (multi-tensor launches,
// kernels/cuda/multi_tensor.cuh, queued on the current device's stream; nothing waits), with the
// same per-element functors (kernels/optim_functors.h). Hyperparameters arrive as doubles and are
// rounded to the element type once, as PyTorch does with its Python scalars.
#pragma once
#include <vector>

#include "core/dtype.h"
#include "kernels/optim_args.h"
#include "kernels/optim_functors.h"
#include "kernels/twins.h"

#define EMBER_OPTIM_KERNELS                                                                         \
  void sgd_update_group(DType dtype, const std::vector<SgdSlot>& slots, const SgdHyper& h);         \
  void adam_update_group(DType dtype, const std::vector<AdamSlot>& slots, const AdamHyper& h);      \
  void rmsprop_update_group(DType dtype, const std::vector<RmspropSlot>& slots, const RmspropHyper& h); \
  void adagrad_update_group(DType dtype, const std::vector<AdagradSlot>& slots, const AdagradHyper& h);

EMBER_DECLARE_TWINS(EMBER_OPTIM_KERNELS)
