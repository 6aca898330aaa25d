// The unary elementwise kernels: kernels/cpu/unary.cpp and its CUDA twin kernels/cuda/unary.cu
// apply the same per-element functors (kernels/functors.h) over a LoopShape. Raw pointers in, no
// TensorImpl, no Python; on CUDA, device pointers, queued on the current device's stream.
#pragma once
#include <optional>

#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/op_kinds.h"
#include "kernels/twins.h"

#define EMBER_UNARY_KERNELS                                                                         \
  /* out = op(x); out and x share dtype, or out is bool (predicates). */                            \
  void unary(UnaryOp op, DType dtype, void* out, const void* x, const LoopShape& loop);             \
  void clamp(DType dtype, void* out, const void* x, std::optional<double> lo, std::optional<double> hi, \
             const LoopShape& loop);

EMBER_DECLARE_TWINS(EMBER_UNARY_KERNELS)
