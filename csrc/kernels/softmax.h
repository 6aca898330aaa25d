// Softmax / log_softmax over the middle axis of a contiguous [outer, dim, inner] block:
// kernels/cpu/softmax.cpp and its CUDA twin kernels/cuda/softmax.cu. inner == 1 is the common
// case (softmax over the last dim); inner > 1 is any other dim, handled in place without moving
// the dim last.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"

#define EMBER_SOFTMAX_KERNELS                                                                       \
  /* out = softmax(x) (or log_softmax when `log`) along the axis of length `dim`.                   \
     Floating dtypes only; float32 sums of exponentials accumulate in double. */                    \
  void softmax(DType dtype, bool log, void* out, const void* x, int64_t outer, int64_t dim, int64_t inner);

EMBER_DECLARE_TWINS(EMBER_SOFTMAX_KERNELS)
