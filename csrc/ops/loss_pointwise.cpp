// The elementwise losses (mse, l1, smooth_l1, huber, binary_cross_entropy with and without logits,
// kl_div): a native kernel per element, then the reduction, with the derivative beside each.
#include <functional>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/loss.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

struct PointwiseOperands {
  Tensor x, t;  // contiguous, broadcast to one shape, of the promoted dtype; no autograd
  Shape shape;
  DType dtype;
};

PointwiseOperands prepare(const char* op, const Tensor& input, const Tensor& target) {
  EMBER_CHECK(is_floating(input.dtype()) && is_floating(target.dtype()), NotImplemented, "[", op,
              "] expected floating input and target, got ", dtype_name(input.dtype()), " and ",
              dtype_name(target.dtype()));
  check_same_device(op, input, target);
  autograd::AutoGradMode no_grad(false);
  PointwiseOperands p;
  p.shape = broadcast_shapes(op, input.sizes(), target.sizes());
  p.dtype = promote_types(input.dtype(), target.dtype());
  p.x = contiguous_clone(expand(to_dtype(input, p.dtype), p.shape));
  p.t = contiguous_clone(expand(to_dtype(target, p.dtype), p.shape));
  return p;
}

Tensor reduce_loss(const Tensor& per_element, Reduction reduction) {
  autograd::AutoGradMode no_grad(false);
  if (reduction == Reduction::Mean) return mean(per_element, {}, false);  // NaN when empty, as in PyTorch
  if (reduction == Reduction::Sum) return sum(per_element, {}, false);
  return per_element;
}

// The upstream gradient at every element: 1/numel for a mean (g is then 0-d and broadcasts).
Tensor upstream(const Tensor& g, Reduction reduction, int64_t numel) {
  return reduction == Reduction::Mean ? g / static_cast<double>(numel) : g;
}

// d(loss)/d(operand), summed back over broadcasting and cast back to the operand's dtype.
Tensor to_operand(const Tensor& grad, const Tensor& like) { return to_dtype(sum_to(grad, like.sizes()), like.dtype()); }

Tensor pointwise(kernels::PointwiseLoss kind, const PointwiseOperands& p, double param = 0) {
  Tensor per_element = empty(p.shape, p.dtype, p.x.device());
  EMBER_DISPATCH_KERNEL(per_element.device(), pointwise_loss, kind, param, p.dtype, per_element.raw_data(),
                        p.x.raw_data(), p.t.raw_data(), per_element.numel());
  return per_element;
}

// The loss of `kind` reduced, recording `name` whose backward gives (d/dx, d/dt) of one element
// times the upstream gradient g: grads(x, t, g) -> {gx, gt}, each summed back to its operand.
using PointwiseGrads = std::function<std::pair<Tensor, Tensor>(const Tensor& x, const Tensor& t, const Tensor& g)>;

Tensor pointwise_loss(const char* op, const char* node, kernels::PointwiseLoss kind, double param, const Tensor& input,
                      const Tensor& target, Reduction reduction, PointwiseGrads grads) {
  PointwiseOperands p = prepare(op, input, target);
  Tensor out = reduce_loss(pointwise(kind, p, param), reduction);
  if (autograd::needs_grad(input, target)) {
    int64_t numel = shape_numel(p.shape);
    autograd::record(node, {out}, {input, target}, {input, target},
                     [reduction, numel, grads](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &t = c.saved[1];
      auto [gx, gt] = grads(x, t, upstream(c.grad(), reduction, numel));
      return {c.needs[0] ? to_operand(gx, x) : Tensor(), c.needs[1] ? to_operand(gt, t) : Tensor()};
    });
  }
  return out;
}

Tensor sign_of(const Tensor& x) { return unary(UnaryOp::Sign, x); }
Tensor abs_of(const Tensor& x) { return unary(UnaryOp::Abs, x); }
Tensor scalar_like(double v, const Tensor& like) { return scalar_tensor(Scalar{v, ScalarKind::Float}, like.dtype(), like.device()); }

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  // d/dx (x - t)^2 = 2 (x - t) = -d/dt.
  return pointwise_loss("mse_loss", "MseLossBackward0", kernels::PointwiseLoss::SquaredError, 0, input, target,
                        reduction, [](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor gx = (x - t) * g * 2.0;
    return std::pair{gx, -gx};
  });
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  // d/dx |x - t| = sign(x - t) = -d/dt (0 where x = t, as in PyTorch).
  return pointwise_loss("l1_loss", "L1LossBackward0", kernels::PointwiseLoss::AbsError, 0, input, target, reduction,
                        [](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor gx = sign_of(x - t) * g;
    return std::pair{gx, -gx};
  });
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  EMBER_CHECK(beta >= 0, Runtime, "[smooth_l1_loss] smooth_l1_loss does not support negative values for beta.");
  // d/dx = (x - t) / beta inside |x - t| < beta, sign(x - t) outside.
  return pointwise_loss("smooth_l1_loss", "SmoothL1LossBackward0", kernels::PointwiseLoss::SmoothL1, beta, input,
                        target, reduction, [beta](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor d = x - t;
    Tensor slope = beta > 0 ? where(binary(BinaryOp::Lt, abs_of(d), Scalar{beta, ScalarKind::Float}), d / beta, sign_of(d))
                            : sign_of(d);
    Tensor gx = slope * g;
    return std::pair{gx, -gx};
  });
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  EMBER_CHECK(delta > 0, Runtime, "[huber_loss] huber_loss does not support non-positive values for delta.");
  // d/dx = x - t inside |x - t| < delta, delta sign(x - t) outside.
  return pointwise_loss("huber_loss", "HuberLossBackward0", kernels::PointwiseLoss::Huber, delta, input, target,
                        reduction, [delta](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor d = x - t;
    Tensor gx = where(binary(BinaryOp::Lt, abs_of(d), Scalar{delta, ScalarKind::Float}), d, sign_of(d) * delta) * g;
    return std::pair{gx, -gx};
  });
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_CHECK(input.sizes() == target.sizes(), Value, "[binary_cross_entropy] Using a target size (",
              shape_str(target.sizes()), ") that is different to the input size (", shape_str(input.sizes()),
              ") is deprecated. Please ensure they have the same size.");
  // A probability outside [0, 1] (or NaN) is a user error; checked where it costs no device sync.
  if (input.device().is_cpu() && input.numel() > 0 && is_floating(input.dtype())) {
    autograd::AutoGradMode no_grad(false);
    Tensor outside = any(binary(BinaryOp::Ne, clamp(input, std::optional<double>(0.0), std::optional<double>(1.0)),
                                input), {}, false);
    EMBER_CHECK(!*outside.data<bool>(), Runtime,
                "[binary_cross_entropy] all elements of input should be between 0 and 1");
  }
  // d/dx = (x - t) / max(x (1 - x), eps); d/dt = log(1 - x) - log(x). eps is PyTorch's clamp, the
  // float 1e-12 (so float64 gradients at x = 0 or 1 match it to the last bit).
  return pointwise_loss("binary_cross_entropy", "BinaryCrossEntropyBackward0", kernels::PointwiseLoss::Bce, 0, input,
                        target, reduction, [](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor denom = clamp(x * (1.0 - x), std::optional<double>(double(1e-12f)), std::nullopt);
    return std::pair{(x - t) / denom * g, (unary(UnaryOp::Log, 1.0 - x) - unary(UnaryOp::Log, x)) * g};
  });
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  if (log_target) {  // e^t (t - x): d/dx = -e^t, d/dt = e^t (t - x + 1)
    return pointwise_loss("kl_div", "KlDivBackward0", kernels::PointwiseLoss::KlDivLogTarget, 0, input, target,
                          reduction, [](const Tensor& x, const Tensor& t, const Tensor& g) {
      Tensor et = unary(UnaryOp::Exp, t);
      return std::pair{-et * g, et * (t - x + 1.0) * g};
    });
  }
  // xlogy(t, t) - t x: d/dx = -t; d/dt = log t + t / t - x (NaN at t = 0, as PyTorch's xlogy gives).
  return pointwise_loss("kl_div", "KlDivBackward0", kernels::PointwiseLoss::KlDiv, 0, input, target, reduction,
                        [](const Tensor& x, const Tensor& t, const Tensor& g) {
    Tensor zero = binary(BinaryOp::Eq, t, Scalar{0, ScalarKind::Int});
    Tensor log_t = where(zero, scalar_like(0, t), unary(UnaryOp::Log, t));
    return std::pair{-t * g, (log_t + t / t - x) * g};
  });
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_CHECK(input.sizes() == target.sizes(), Value, "[binary_cross_entropy_with_logits] Target size ",
              shape_str(target.sizes()), " must be the same as input size ", shape_str(input.sizes()));
  // See Note [Stable BCE with logits]: d/dx = sigmoid(x) - t, d/dt = -x.
  return pointwise_loss("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
                        kernels::PointwiseLoss::BceWithLogits, 0, input, target, reduction,
                        [](const Tensor& x, const Tensor& t, const Tensor& g) {
    return std::pair{(unary(UnaryOp::Sigmoid, x) - t) * g, -x * g};
  });
}

}  // namespace ember
