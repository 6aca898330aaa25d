// CPU kernels for GELU, leaky ReLU and the dropout mask over contiguous buffers of n elements.
// Raw pointers and sizes only; the ops in ops/activation.cpp make their operands contiguous.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

// out = gelu(x)
void gelu(DType dtype, void* out, const void* x, int64_t n, bool tanh_form);
// out = g * gelu'(x)
void gelu_backward(DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form);
// out = x > 0 ? x : slope * x
void leaky_relu(DType dtype, void* out, const void* x, int64_t n, double slope);
// mask[i] = 1/(1-p) where the element is kept (probability 1 - p), else 0; out = x * mask.
// Element i's draw is uniform01(seed, i) (Note [Counter-based generator]), so the mask does not
// depend on threading and a CUDA twin reproduces it.
void dropout(DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed);

}  // namespace ember::kernels::cpu
