// CUDA twins of kernels/cpu/activation.h: the same signatures and the same per-element maths
// (kernels/activation_functors.h), over contiguous device buffers, queued on the current stream.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cuda {

void gelu(DType dtype, void* out, const void* x, int64_t n, bool tanh_form);
void gelu_backward(DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form);
void leaky_relu(DType dtype, void* out, const void* x, int64_t n, double slope);
// The same mask as the CPU kernel for the same seed (dropout_keeps).
void dropout(DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed);

}  // namespace ember::kernels::cuda
