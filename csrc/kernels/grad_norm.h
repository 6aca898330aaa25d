// The kernels of clip_grad_norm_ (Note [Gradient norm in partial sums]): kernels/cpu/grad_norm.cpp
// and its CUDA twin kernels/cuda/grad_norm.cu cut the gradients into the same chunks (Note
// [Multi-tensor chunks]) and write one double partial per chunk, so both give the same norm.
#pragma once
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/optim_args.h"
#include "kernels/optim_functors.h"
#include "kernels/twins.h"

#define EMBER_GRAD_NORM_KERNELS                                                                     \
  /* Writes norm_partial_count(slots) partials of gradients of one dtype. */                        \
  void grad_norm_partials(DType dtype, const std::vector<GradSlot>& slots, const GradNorm& norm, double* partials); \
  /* Combines `count` partials into the norm, written as one element of `out_dtype`. */             \
  void grad_norm_finish(DType out_dtype, const double* partials, int64_t count, const GradNorm& norm, void* out); \
  /* Multiplies every gradient in place by the one element at `scale` (of the gradients' dtype). On \
     CUDA `scale` is a device pointer (a 0-d cuda tensor): the factor never visits the host. */     \
  void scale_group(DType dtype, const std::vector<GradSlot>& slots, const void* scale);

EMBER_DECLARE_TWINS(EMBER_GRAD_NORM_KERNELS)
