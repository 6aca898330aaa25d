// The ops ember.nn adds (linear.cpp, activation.cpp). They live beside ops.h rather than in it
// so the nn layer can grow without touching the core op list; the conventions are the same.
#pragma once
#include "core/tensor.h"

namespace ember {

// ---- linear layers (linear.cpp). See Note [Fused linear].
// x: (*, in), weight: (out, in), bias: (out,) or undefined -> (*, out) = x @ weight^T + bias.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
// relu(linear(x, weight, bias)) with the bias and the ReLU applied in one pass over the output.
Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- activations and dropout (activation.cpp)
Tensor gelu(const Tensor& x, bool tanh_form);
// g * gelu'(x): GELU's backward, itself differentiable (its backward is written in ember ops).
Tensor gelu_backward(const Tensor& g, const Tensor& x, bool tanh_form);
Tensor leaky_relu(const Tensor& x, double negative_slope);
// Zeroes each element with probability p and scales the rest by 1/(1-p); x itself when !train.
Tensor dropout(const Tensor& x, double p, bool train);

}  // namespace ember
