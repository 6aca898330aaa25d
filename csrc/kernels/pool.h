// 2-D pooling over contiguous (planes, H, W) buffers: kernels/cpu/pool.cpp and its CUDA twin
// kernels/cuda/pool.cu. The geometry (windows, padding, output size) is kernels/window2d.h; the
// op (ops/pool.cpp) has checked it and computed OH x OW. Float32 and Float64.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"
#include "kernels/window2d.h"

#define EMBER_POOL_KERNELS                                                                          \
  /* out (planes, OH, OW) = the max of each (dilated) window, padding excluded; indices (int64) the \
     flat h * W + w of the max in its plane. A NaN wins (the last one in the window), as in         \
     PyTorch; ties keep the first. A window wholly in the padding cannot occur (pad <= k / 2). */   \
  void max_pool2d(DType dtype, const void* x, void* out, int64_t* indices, const Window2d& g);      \
  /* out = the sum of each window / its divisor (kernels/window2d.h, avg_window). No dilation. */    \
  void avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g, bool count_include_pad, \
                  int64_t divisor_override);                                                         \
  /* The adjoint of avg_pool2d: gx (planes, H, W) = each g / divisor spread over its window. */     \
  void avg_pool2d_backward(DType dtype, const void* g, void* gx, const Window2d& w, bool count_include_pad, \
                           int64_t divisor_override);                                                \
  /* out (planes, OH, OW) = the mean of each adaptive window (only planes, H, W, OH, OW are read). */ \
  void adaptive_avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g);               \
  /* Its adjoint: gx = each g / window area spread over its window. */                              \
  void adaptive_avg_pool2d_backward(DType dtype, const void* g, void* gx, const Window2d& w);

EMBER_DECLARE_TWINS(EMBER_POOL_KERNELS)
