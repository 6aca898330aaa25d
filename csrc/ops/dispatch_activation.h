// Dispatch for the activation kernels (Note [One dispatch point per kernel family], ops/dispatch.h).
#pragma once
#include "kernels/cpu/activation.h"
#include "ops/dispatch.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/activation.h"
#endif

namespace ember::dispatch {

inline void gelu(Device d, DType dtype, void* out, const void* x, int64_t n, bool tanh_form) {
  if (d.is_cpu()) return kernels::cpu::gelu(dtype, out, x, n, tanh_form);
  EMBER_CUDA_TWIN(d, gelu, dtype, out, x, n, tanh_form);
}

inline void gelu_backward(Device d, DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form) {
  if (d.is_cpu()) return kernels::cpu::gelu_backward(dtype, out, g, x, n, tanh_form);
  EMBER_CUDA_TWIN(d, gelu_backward, dtype, out, g, x, n, tanh_form);
}

inline void leaky_relu(Device d, DType dtype, void* out, const void* x, int64_t n, double slope) {
  if (d.is_cpu()) return kernels::cpu::leaky_relu(dtype, out, x, n, slope);
  EMBER_CUDA_TWIN(d, leaky_relu, dtype, out, x, n, slope);
}

inline void dropout(Device d, DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed) {
  if (d.is_cpu()) return kernels::cpu::dropout(dtype, out, mask, x, n, p, seed);
  EMBER_CUDA_TWIN(d, dropout, dtype, out, mask, x, n, p, seed);
}

}  // namespace ember::dispatch
