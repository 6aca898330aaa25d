// conv2d's data movement: im2col unrolls every kh x kw window of each plane into a column, so
// the convolution is one batched GEMM (ops/conv.cpp, Note [Conv2d as im2col + GEMM]); col2im is
// its adjoint (sums the columns back into the planes: the input gradient). kernels/cpu/conv.cpp
// and its CUDA twin kernels/cuda/conv.cu. Contiguous buffers; the geometry is kernels/window2d.h.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"
#include "kernels/window2d.h"

#define EMBER_CONV_KERNELS                                                                          \
  /* x: (planes, H, W) -> cols: (planes, kh * kw, OH * OW); cols[p][i*kw+j][oh*OW+ow] is            \
     x[p][oh*sh - ph + i*dh][ow*sw - pw + j*dw], 0 where that lies in the padding. */               \
  void im2col(DType dtype, const void* x, void* cols, const Window2d& g);                           \
  /* The adjoint: x (planes, H, W) = the sum of every cols entry that im2col would have read from   \
     each element (overwrites x; padding entries are dropped). */                                   \
  void col2im(DType dtype, const void* cols, void* x, const Window2d& g);

EMBER_DECLARE_TWINS(EMBER_CONV_KERNELS)
