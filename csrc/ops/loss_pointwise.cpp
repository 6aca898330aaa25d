// The elementwise losses: mse_loss and binary_cross_entropy_with_logits, each a native kernel
// per element, then the reduction, with the derivative written beside it.
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
  EMBER_CHECK(is_floating(input.dtype()) && is_floating(target.dtype()), Runtime, "[", op,
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

Tensor pointwise(kernels::PointwiseLoss kind, const PointwiseOperands& p) {
  Tensor per_element = empty(p.shape, p.dtype, p.x.device());
  EMBER_DISPATCH_KERNEL(per_element.device(), pointwise_loss, kind, p.dtype, per_element.raw_data(), p.x.raw_data(),
                        p.t.raw_data(), per_element.numel());
  return per_element;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  PointwiseOperands p = prepare("mse_loss", input, target);
  Tensor out = reduce_loss(pointwise(kernels::PointwiseLoss::SquaredError, p), reduction);
  if (autograd::needs_grad(input, target)) {
    int64_t numel = shape_numel(p.shape);
    // d/dx (x - t)^2 = 2 (x - t) = -d/dt.
    autograd::record("MseLossBackward0", {out}, {input, target}, {input, target},
                     [reduction, numel](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &t = c.saved[1];
      Tensor gx = (x - t) * upstream(c.grad(), reduction, numel) * 2.0;
      return {c.needs[0] ? to_operand(gx, x) : Tensor(), c.needs[1] ? to_operand(-gx, t) : Tensor()};
    });
  }
  return out;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction reduction) {
  EMBER_CHECK(input.sizes() == target.sizes(), Value, "[binary_cross_entropy_with_logits] Target size ",
              shape_str(target.sizes()), " must be the same as input size ", shape_str(input.sizes()));
  PointwiseOperands p = prepare("binary_cross_entropy_with_logits", input, target);
  Tensor out = reduce_loss(pointwise(kernels::PointwiseLoss::BceWithLogits, p), reduction);
  if (autograd::needs_grad(input, target)) {
    int64_t numel = shape_numel(p.shape);
    // See Note [Stable BCE with logits]: d/dx = sigmoid(x) - t, d/dt = -x.
    autograd::record("BinaryCrossEntropyWithLogitsBackward0", {out}, {input, target}, {input, target},
                     [reduction, numel](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &t = c.saved[1];
      Tensor g = upstream(c.grad(), reduction, numel);
      return {c.needs[0] ? to_operand((unary(UnaryOp::Sigmoid, x) - t) * g, x) : Tensor(),
              c.needs[1] ? to_operand(-x * g, t) : Tensor()};
    });
  }
  return out;
}

}  // namespace ember
