// CPU elementwise kernels: raw pointers and a LoopShape in, no TensorImpl, no Python.
// Each has a CUDA twin of the same signature in kernels/cuda (issue: CUDA backend).
#pragma once
#include <optional>

#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/op_kinds.h"

namespace ember::kernels::cpu {

// out = op(a, b); a and b are of dtype `compute`, out of `compute` or Bool for comparisons.
void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop);
// out = op(x); out and x share dtype.
void unary(UnaryOp op, DType dtype, void* out, const void* x, const LoopShape& loop);
void clamp(DType dtype, void* out, const void* x, std::optional<double> lo, std::optional<double> hi,
           const LoopShape& loop);
// out = cond ? a : b (cond is Bool; a, b, out of `dtype`).
void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& loop);
// out = x converted from `src` to `dst` dtype; this is also the strided copy.
void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop);
// Fills a contiguous buffer of n elements.
void fill(DType dtype, void* out, int64_t n, double value);

}  // namespace ember::kernels::cpu
