// The binary elementwise kernel (arithmetic and comparisons): kernels/cpu/binary.cpp and its CUDA
// twin kernels/cuda/binary.cu apply the same per-element functors (kernels/functors.h) over a
// LoopShape. Raw pointers in, no TensorImpl, no Python; on CUDA, device pointers, queued on the
// current device's stream, nothing waits.
#pragma once
#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/op_kinds.h"
#include "kernels/twins.h"

#define EMBER_BINARY_KERNELS                                                                        \
  /* out = op(a, b); a and b are of dtype `compute`, out of `compute` or Bool for comparisons. A   \
     null a or b is a scalar whose value is in loop.scalar_bits (Note [Scalars by value]). */       \
  void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop);

EMBER_DECLARE_TWINS(EMBER_BINARY_KERNELS)
