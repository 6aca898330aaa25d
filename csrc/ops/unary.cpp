// Elementwise unary ops and clamp, each with its derivative beside it.
#include "autograd/function_node.h"
#include "autograd/inplace.h"
#include "kernels/dispatch.h"
#include "kernels/unary.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// exp, log, tanh ... of an integer tensor give the default float dtype, as in PyTorch.
bool promotes_to_float(UnaryOp op) { return dtype_rule(op) == DtypeRule::ToFloat; }

Tensor zero_of(const Tensor& g) { return scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()); }
Tensor positive(const Tensor& x) { return binary(BinaryOp::Gt, x, Scalar{0, ScalarKind::Int}); }

// Backward formulas, reading like the maths: x is the input, y the output. A new op of
// EMBER_UNARY_OPS (kernels/op_kinds.h) gets its case here; the switch has no default, so the
// build warns until it has one.
void record_backward(UnaryOp op, const Tensor& y, const Tensor& x) {
  using autograd::record;
  switch (op) {
    case UnaryOp::Neg:  // d(-x) = -1
      return record("NegBackward0", {y}, {x}, {}, [](const BackwardArgs& c) -> tensor_list { return {-c.grad()}; });
    case UnaryOp::Exp:  // d(e^x) = e^x = y
      return record("ExpBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list { return {c.grad() * c.saved[0]}; });
    case UnaryOp::Log:  // d(ln x) = 1/x
      return record("LogBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list { return {c.grad() / c.saved[0]}; });
    case UnaryOp::Tanh:  // d(tanh x) = 1 - y^2
      return record("TanhBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& y = c.saved[0];
        return {c.grad() * (1.0 - y * y)};
      });
    case UnaryOp::Sigmoid:  // d(sigmoid x) = y (1 - y)
      return record("SigmoidBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& y = c.saved[0];
        return {c.grad() * y * (1.0 - y)};
      });
    case UnaryOp::Relu:  // d(relu x) = [y > 0]; so ReLU'(0) = 0
      return record("ReluBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        return {where(positive(c.saved[0]), c.grad(), zero_of(c.grad()))};
      });
    case UnaryOp::Sqrt:  // d(sqrt x) = 1 / (2 y)
      return record("SqrtBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() / (c.saved[0] * 2.0)};
      });
    case UnaryOp::Abs:  // d|x| = sign(x), 0 at 0
      return record("AbsBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * unary(UnaryOp::Sign, c.saved[0])};
      });
    case UnaryOp::Sin:
      return record("SinBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * unary(UnaryOp::Cos, c.saved[0])};
      });
    case UnaryOp::Cos:
      return record("CosBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {-c.grad() * unary(UnaryOp::Sin, c.saved[0])};
      });
    case UnaryOp::Sign:  // flat almost everywhere
      return record("SignBackward0", {y}, {x}, {}, [](const BackwardArgs& c) -> tensor_list {
        return {zeros_like(c.grad())};
      });
  }
}

// The unary ops PyTorch refuses for bool tensors (DtypeRule::NoBool), with its exception types
// and messages.
void check_bool_input(UnaryOp op, DType dtype) {
  if (dtype != DType::Bool || dtype_rule(op) != DtypeRule::NoBool) return;
  EMBER_CHECK(op != UnaryOp::Neg, Runtime, "[neg] Negation, the `-` operator, on a bool tensor is not supported. "
              "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  EMBER_CHECK(op != UnaryOp::Relu, Runtime, "[relu] Boolean inputs not supported for relu");
  fail(ErrorKind::NotImplemented, "[", op_name(op), "] not implemented for 'Bool'");
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  check_bool_input(op, x.dtype());
  DType dt = promotes_to_float(op) && !is_floating(x.dtype()) ? DType::Float32 : x.dtype();
  Tensor xc = cast_for_kernel(x, dt);
  Tensor y = empty(x.sizes(), dt, x.device());
  EMBER_DISPATCH_KERNEL(y.device(), unary, op, dt, y.raw_data(), xc.raw_data(), make_loop(y, {&xc}));
  if (autograd::needs_grad(x)) record_backward(op, y, x);
  return y;
}

Tensor& unary_(UnaryOp op, Tensor& x) {
  const char* name = op_name(op);
  check_bool_input(op, x.dtype());
  check_inplace(name, x, false);
  if (autograd::needs_grad(x)) {
    commit_inplace(name, x, unary(op, original_self(x)));
    return x;
  }
  EMBER_CHECK(!promotes_to_float(op) || is_floating(x.dtype()), Runtime, "[", name, "_] result type ",
              dtype_name(DType::Float32), " can't be cast to the desired output type ", dtype_name(x.dtype()));
  EMBER_DISPATCH_KERNEL(x.device(), unary, op, x.dtype(), x.raw_data(), x.raw_data(), make_loop(x, {&x}));
  x->bump_version();
  return x;
}

Tensor neg(const Tensor& x) { return unary(UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }

Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  EMBER_CHECK(lo || hi, Runtime, "[clamp] at least one of 'min' or 'max' must not be None");
  EMBER_CHECK(x.dtype() != DType::Bool, Runtime, "[clamp] not supported for bool tensors");
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  EMBER_DISPATCH_KERNEL(y.device(), clamp, x.dtype(), y.raw_data(), x.raw_data(), lo, hi, make_loop(y, {&x}));
  if (autograd::needs_grad(x)) {
    // The gradient passes where lo <= x <= hi (inclusive, as in PyTorch).
    autograd::record("ClampBackward1", {y}, {x}, {x}, [lo, hi](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      Tensor keep;
      if (lo) keep = binary(BinaryOp::Ge, x, Scalar{*lo, ScalarKind::Float});
      if (hi) {
        Tensor below = binary(BinaryOp::Le, x, Scalar{*hi, ScalarKind::Float});
        keep = keep.defined() ? binary(BinaryOp::Mul, keep, below) : below;
      }
      return {where(keep, g, zero_of(g))};
    });
  }
  return y;
}

// Python numbers as bounds: a float bound on an integer tensor gives the default float dtype
// (clamp(int64 [1, 2, 3], min=1.5) is float32 [1.5, 2, 3]), as PyTorch's type promotion says.
Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  EMBER_CHECK(x.dtype() != DType::Bool, Runtime, "[clamp] not supported for bool tensors");
  DType out = x.dtype();
  if (lo) out = promote_with_scalar(out, lo->kind);
  if (hi) out = promote_with_scalar(out, hi->kind);
  auto value = [](std::optional<Scalar> s) { return s ? std::optional<double>(s->value) : std::nullopt; };
  return clamp(to_dtype(x, out), value(lo), value(hi));
}

// Tensor bounds, broadcast against x. Written with where, so each bound gets the gradient exactly
// where it is the output and x keeps it where lo <= x <= hi, as in PyTorch's ClampBackward.
Tensor clamp(const Tensor& x, const Tensor& lo, const Tensor& hi) {
  EMBER_CHECK(lo.defined() || hi.defined(), Runtime, "[clamp] at least one of 'min' or 'max' must not be None");
  EMBER_CHECK(x.dtype() != DType::Bool, Runtime, "[clamp] not supported for bool tensors");
  Tensor y = x;
  if (lo.defined()) y = where(binary(BinaryOp::Lt, y, lo), lo, y);
  if (hi.defined()) y = where(binary(BinaryOp::Gt, y, hi), hi, y);
  return y;
}

Tensor& clamp_(Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  check_inplace("clamp_", x, false);
  if (autograd::needs_grad(x)) {
    commit_inplace("clamp_", x, clamp(original_self(x), lo, hi));
    return x;
  }
  EMBER_CHECK(lo || hi, Runtime, "[clamp] at least one of 'min' or 'max' must not be None");
  EMBER_DISPATCH_KERNEL(x.device(), clamp, x.dtype(), x.raw_data(), x.raw_data(), lo, hi, make_loop(x, {&x}));
  x->bump_version();
  return x;
}

// The in-place forms keep x's dtype, so a bound that would promote it is an error, as in PyTorch.
Tensor& clamp_(Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  DType out = x.dtype();
  if (lo) out = promote_with_scalar(out, lo->kind);
  if (hi) out = promote_with_scalar(out, hi->kind);
  EMBER_CHECK(out == x.dtype(), Runtime, "[clamp_] result type ", dtype_name(out),
              " can't be cast to the desired output type ", dtype_name(x.dtype()));
  auto value = [](std::optional<Scalar> s) { return s ? std::optional<double>(s->value) : std::nullopt; };
  return clamp_(x, value(lo), value(hi));
}

Tensor& clamp_(Tensor& x, const Tensor& lo, const Tensor& hi) {
  Tensor y = clamp(x, lo, hi);
  EMBER_CHECK(y.dtype() == x.dtype(), Runtime, "[clamp_] result type ", dtype_name(y.dtype()),
              " can't be cast to the desired output type ", dtype_name(x.dtype()));
  return copy_(x, y);
}

}  // namespace ember
