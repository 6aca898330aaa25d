// GELU (exact and tanh forms), leaky ReLU, ELU, softplus, hardtanh and dropout: native forward kernels, backward
// formulas in ember ops beside them.
#include <limits>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/activation.h"
#include "kernels/activation_functors.h"
#include "kernels/dispatch.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

void check_floating(const char* op, const Tensor& x) {
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[", op, "] not implemented for ", dtype_name(x.dtype()),
              "; convert the input to a floating dtype first");
}

// d gelu_tanh / dx in ember ops (the tanh form's second derivative then comes from autograd).
Tensor gelu_tanh_grad(const Tensor& g, const Tensor& x) {
  using kernels::kGeluBeta;
  using kernels::kGeluKappa;
  Tensor x_sq = x * x;
  Tensor t = unary(UnaryOp::Tanh, (x + x_sq * x * kGeluKappa) * kGeluBeta);
  Tensor left = (t + 1.0) * 0.5;
  Tensor right = x * 0.5 * (1.0 - t * t) * ((x_sq * (3 * kGeluKappa) + 1.0) * kGeluBeta);
  return g * (left + right);
}

}  // namespace

Tensor gelu(const Tensor& x, bool tanh_form) {
  check_floating("gelu", x);
  Tensor xc = contiguous(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), gelu, x.dtype(), y.raw_data(), xc.raw_data(), x.numel(), tanh_form);
  if (autograd::needs_grad(x)) {
    autograd::record("GeluBackward0", {y}, {x}, {x}, [tanh_form](const BackwardArgs& c) -> tensor_list {
      return {gelu_backward(c.grad(), c.saved[0], tanh_form)};
    });
  }
  return y;
}

Tensor gelu_backward(const Tensor& g, const Tensor& x, bool tanh_form) {
  check_same_device("gelu_backward", g, x);
  // The tanh form differentiates through its ember-op formula; the exact form has its own node.
  if (tanh_form && autograd::needs_grad(g, x)) return gelu_tanh_grad(g, x);
  Tensor gc = contiguous(g.sizes() == x.sizes() ? g : expand(g, x.sizes()));
  Tensor xc = contiguous(x);
  Tensor out = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(out.device(), gelu_backward, x.dtype(), out.raw_data(), gc.raw_data(), xc.raw_data(), x.numel(),
                        tanh_form);
  if (autograd::needs_grad(g, x)) {
    // out = g * f'(x) with f'(x) = Phi(x) + x phi(x), so d out/dg = f'(x) and
    // d out/dx = g * f''(x) = g * phi(x) * (2 - x^2).
    autograd::record("GeluBackwardBackward0", {out}, {g, x}, {g, x}, [](const BackwardArgs& c) -> tensor_list {
      const Tensor &g = c.saved[0], &x = c.saved[1], &gg = c.grad();
      Tensor dg, dx;
      if (c.needs[0]) dg = gelu_backward(gg, x, false);
      if (c.needs[1]) {
        Tensor pdf = exp(x * x * -0.5) * kernels::kInvSqrt2Pi;
        dx = gg * g * pdf * (2.0 - x * x);
      }
      return {dg, dx};
    });
  }
  return out;
}

// ReLU's gradient from its output y (ReluBackward0, and linear_relu's fused epilogue): zero where
// y <= 0, so ReLU'(0) = 0 and a NaN output passes its gradient. One kernel; under create_graph the
// same select in ember ops, so that it can be differentiated again.
Tensor relu_backward(const Tensor& g, const Tensor& y) {
  if (autograd::GradMode::is_enabled() || !is_floating(g.dtype()) || g.dtype() != y.dtype() || g.sizes() != y.sizes())
    return where(binary(BinaryOp::Le, y, Scalar{0, ScalarKind::Int}),
                 scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()), g);
  Tensor gc = contiguous(g), yc = contiguous(y);
  Tensor out = empty(g.sizes(), g.dtype(), g.device());
  EMBER_DISPATCH_KERNEL(out.device(), relu_backward, g.dtype(), out.raw_data(), gc.raw_data(), yc.raw_data(), g.numel());
  return out;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  check_floating("leaky_relu", x);
  Tensor xc = contiguous(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), leaky_relu, x.dtype(), y.raw_data(), xc.raw_data(), x.numel(), negative_slope);
  if (autograd::needs_grad(x)) {
    // d/dx = 1 where x > 0, else negative_slope (PyTorch's choice at 0 too).
    autograd::record("LeakyReluBackward0", {y}, {x}, {x}, [negative_slope](const BackwardArgs& c) -> tensor_list {
      const Tensor& g = c.grad();
      return {where(binary(BinaryOp::Gt, c.saved[0], Scalar{0, ScalarKind::Int}), g, g * negative_slope)};
    });
  }
  return y;
}

Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
  check_floating("elu", x);
  Tensor xc = contiguous(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), elu, x.dtype(), y.raw_data(), xc.raw_data(), x.numel(), alpha, scale, input_scale);
  if (autograd::needs_grad(x)) {
    // d/dx = scale for x > 0, else alpha scale input_scale e^(input_scale x) (PyTorch's choice at 0).
    autograd::record("EluBackward0", {y}, {x}, {x}, [alpha, scale, input_scale](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      Tensor neg = g * exp(x * input_scale) * (alpha * scale * input_scale);
      return {where(binary(BinaryOp::Gt, x, Scalar{0, ScalarKind::Int}), g * scale, neg)};
    });
  }
  return y;
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  check_floating("softplus", x);
  Tensor xc = contiguous(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), softplus, x.dtype(), y.raw_data(), xc.raw_data(), x.numel(), beta, threshold);
  if (autograd::needs_grad(x)) {
    // d/dx = sigmoid(beta x), exactly 1 above the threshold where the forward is the identity.
    autograd::record("SoftplusBackward0", {y}, {x}, {x}, [beta, threshold](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      Tensor z = x * beta;
      return {where(binary(BinaryOp::Gt, z, Scalar{threshold, ScalarKind::Float}), g, g * unary(UnaryOp::Sigmoid, z))};
    });
  }
  return y;
}

// The clamp kernel forward; the gradient passes strictly inside (lo, hi), unlike clamp's
// inclusive bounds (PyTorch's HardtanhBackward0). Integer tensors are clamped in their dtype.
Tensor hardtanh(const Tensor& x, double lo, double hi) {
  EMBER_CHECK(x.dtype() != DType::Bool, Runtime, "[hardtanh] Bool inputs not supported for hardtanh");
  Tensor y;
  {
    autograd::AutoGradMode no_grad(false);
    y = clamp(x, std::optional<double>(lo), std::optional<double>(hi));
  }
  if (autograd::needs_grad(x)) {
    autograd::record("HardtanhBackward0", {y}, {x}, {x}, [lo, hi](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      Tensor inside = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Gt, x, Scalar{lo, ScalarKind::Float}),
                             binary(BinaryOp::Lt, x, Scalar{hi, ScalarKind::Float}));
      return {where(inside, g, scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()))};
    });
  }
  return y;
}

// Note [Dropout stream]: a dropout call draws one 63-bit key from the global generator (one
// counter) and hashes (key, i) for element i. The mask is thus reproducible under manual_seed,
// independent of threading, and each call advances the generator, without random.cpp having to
// expose its offset bookkeeping.
Tensor dropout(const Tensor& x, double p, bool train) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, Value, "[dropout] dropout probability has to be between 0 and 1, but got ", p);
  if (!train || p == 0.0) return x;
  check_floating("dropout", x);
  Tensor key = randint(0, std::numeric_limits<int64_t>::max(), {1});  // on the CPU: no sync for CUDA inputs
  uint64_t seed = static_cast<uint64_t>(*key.data<int64_t>());
  Tensor xc = contiguous(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  Tensor mask = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), dropout, x.dtype(), y.raw_data(), mask.raw_data(), xc.raw_data(), x.numel(), p,
                        seed);
  if (autograd::needs_grad(x)) {
    autograd::record("NativeDropoutBackward0", {y}, {x}, {mask}, [](const BackwardArgs& c) -> tensor_list {
      return {c.grad() * c.saved[0]};  // the mask already holds the 1/(1-p) scale
    });
  }
  return y;
}

}  // namespace ember
