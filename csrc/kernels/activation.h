// The activation kernels with parameters (GELU, leaky ReLU, ELU, softplus, the dropout mask) over contiguous buffers of n
// elements: kernels/cpu/activation.cpp and its CUDA twin kernels/cuda/activation.cu compute the
// same per-element maths (kernels/activation_functors.h). Raw pointers and sizes only; the ops
// in ops/activation.cpp make their operands contiguous.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"

#define EMBER_ACTIVATION_KERNELS                                                                    \
  /* out = gelu(x) */                                                                               \
  void gelu(DType dtype, void* out, const void* x, int64_t n, bool tanh_form);                      \
  /* out = g * gelu'(x) */                                                                          \
  void gelu_backward(DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form); \
  /* out = y <= 0 ? 0 : g, ReLU's backward from its output y (1 at NaN, as threshold_backward) */    \
  void relu_backward(DType dtype, void* out, const void* g, const void* y, int64_t n);             \
  /* out = x > 0 ? x : slope * x */                                                                 \
  void leaky_relu(DType dtype, void* out, const void* x, int64_t n, double slope);                  \
  /* out = x > 0 ? scale x : alpha scale (e^(input_scale x) - 1)  (ELU; SELU's constants too) */     \
  void elu(DType dtype, void* out, const void* x, int64_t n, double alpha, double scale, double input_scale); \
  /* out = beta x > threshold ? x : log(1 + e^(beta x)) / beta */                                   \
  void softplus(DType dtype, void* out, const void* x, int64_t n, double beta, double threshold);  \
  /* mask[i] = 1/(1-p) where the element is kept (probability 1 - p), else 0; out = x * mask.       \
     Element i's draw is uniform01(seed, i) (Note [Counter-based generator]), so the mask does not \
     depend on threading and the CUDA twin reproduces it. */                                        \
  void dropout(DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed);

EMBER_DECLARE_TWINS(EMBER_ACTIVATION_KERNELS)
