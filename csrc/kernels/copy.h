// Copies, selects and fills: kernels/cpu/copy.cpp and its CUDA twin kernels/cuda/copy.cu. Raw
// pointers and a LoopShape in, no TensorImpl, no Python; on CUDA, device pointers, queued on the
// current device's stream, nothing waits.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/twins.h"

#define EMBER_COPY_KERNELS                                                                          \
  /* out = x converted from `src` to `dst` dtype; this is also the strided copy. */                 \
  void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop);                 \
  /* out = cond ? a : b (cond is Bool; a, b, out of `dtype`). */                                    \
  void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& loop); \
  /* Fills a contiguous buffer of n elements. */                                                    \
  void fill(DType dtype, void* out, int64_t n, double value);

EMBER_DECLARE_TWINS(EMBER_COPY_KERNELS)
