// CUDA twins of kernels/cpu/elementwise.h and kernels/cpu/random_fill.h: the same signatures,
// the same per-element functors (kernels/functors.h), queued on the current device's stream.
// Pointers are device pointers; nothing here waits for the device.
#pragma once
#include <optional>

#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/op_kinds.h"
#include "kernels/random_functors.h"

namespace ember::kernels::cuda {

void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop);
void unary(UnaryOp op, DType dtype, void* out, const void* x, const LoopShape& loop);
void clamp(DType dtype, void* out, const void* x, std::optional<double> lo, std::optional<double> hi,
           const LoopShape& loop);
void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& loop);
void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop);
void fill(DType dtype, void* out, int64_t n, double value);
void random_fill(DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first, const RandomSpec& spec);

}  // namespace ember::kernels::cuda
