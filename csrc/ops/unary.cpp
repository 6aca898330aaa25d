// Elementwise unary ops and clamp, each with its derivative beside it.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "kernels/dispatch.h"
#include "kernels/functors.h"
#include "kernels/unary.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

Tensor zero_of(const Tensor& g) { return scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()); }
Tensor positive(const Tensor& x) { return binary(BinaryOp::Gt, x, Scalar{0, ScalarKind::Int}); }
tensor_list zero_grad(const BackwardArgs& c) { return {zeros_like(c.grad())}; }

constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kLn10 = 2.30258509299404568402;

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
    case UnaryOp::Relu:  // d(relu x) = [not y <= 0]: ReLU'(0) = 0, and 1 at NaN, as PyTorch's threshold_backward
      return record("ReluBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        return {relu_backward(c.grad(), c.saved[0])};
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
    case UnaryOp::Sign:  // flat almost everywhere (as round, floor, ceil, trunc)
      return record("SignBackward0", {y}, {x}, {}, zero_grad);
    case UnaryOp::Round: return record("RoundBackward0", {y}, {x}, {}, zero_grad);
    case UnaryOp::Floor: return record("FloorBackward0", {y}, {x}, {}, zero_grad);
    case UnaryOp::Ceil: return record("CeilBackward0", {y}, {x}, {}, zero_grad);
    case UnaryOp::Trunc: return record("TruncBackward0", {y}, {x}, {}, zero_grad);
    case UnaryOp::Frac:  // d(x - trunc x) = 1
      return record("FracBackward0", {y}, {x}, {}, [](const BackwardArgs& c) -> tensor_list { return {c.grad()}; });
    case UnaryOp::Erf:  // d erf x = 2/sqrt(pi) e^(-x^2)
      return record("ErfBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        return {c.grad() * (exp(-(x * x)) * kTwoOverSqrtPi)};
      });
    case UnaryOp::Erfc:  // d erfc x = -2/sqrt(pi) e^(-x^2)
      return record("ErfcBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        return {c.grad() * (exp(-(x * x)) * -kTwoOverSqrtPi)};
      });
    case UnaryOp::Log1p:  // d ln(1 + x) = 1 / (x + 1)
      return record("Log1PBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() / (c.saved[0] + 1.0)};
      });
    case UnaryOp::Expm1:  // d(e^x - 1) = y + 1
      return record("Expm1Backward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * (c.saved[0] + 1.0)};
      });
    case UnaryOp::Log2:  // d log2 x = 1 / (x ln 2)
      return record("Log2Backward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() / (c.saved[0] * kLn2)};
      });
    case UnaryOp::Log10:  // d log10 x = 1 / (x ln 10)
      return record("Log10Backward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() / (c.saved[0] * kLn10)};
      });
    case UnaryOp::Exp2:  // d 2^x = 2^x ln 2 = y ln 2
      return record("Exp2Backward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * (c.saved[0] * kLn2)};
      });
    case UnaryOp::Rsqrt:  // d x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3
      return record("RsqrtBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& y = c.saved[0];
        return {c.grad() * (y * y * y) * -0.5};
      });
    case UnaryOp::Square:  // d x^2 = 2x (PyTorch records square as pow(x, 2))
      return record("PowBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * (c.saved[0] * 2.0)};
      });
    case UnaryOp::Reciprocal:  // d(1/x) = -1/x^2 = -y^2
      return record("ReciprocalBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& y = c.saved[0];
        return {-c.grad() * (y * y)};
      });
    case UnaryOp::Tan:  // d tan x = 1 + y^2
      return record("TanBackward0", {y}, {x}, {y}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& y = c.saved[0];
        return {c.grad() * (y * y + 1.0)};
      });
    case UnaryOp::Asin:  // d asin x = 1 / sqrt(1 - x^2)
      return record("AsinBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        return {c.grad() * unary(UnaryOp::Rsqrt, 1.0 - x * x)};
      });
    case UnaryOp::Acos:  // d acos x = -1 / sqrt(1 - x^2)
      return record("AcosBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        return {c.grad() * -unary(UnaryOp::Rsqrt, 1.0 - x * x)};
      });
    case UnaryOp::Atan:  // d atan x = 1 / (1 + x^2)
      return record("AtanBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        return {c.grad() / (x * x + 1.0)};
      });
    case UnaryOp::Sinh:
      return record("SinhBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * unary(UnaryOp::Cosh, c.saved[0])};
      });
    case UnaryOp::Cosh:
      return record("CoshBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * unary(UnaryOp::Sinh, c.saved[0])};
      });
    case UnaryOp::Silu:  // d(x s(x)) = s (1 + x (1 - s)), s = sigmoid x
      return record("SiluBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        Tensor s = unary(UnaryOp::Sigmoid, x);
        return {c.grad() * (s * (x * (1.0 - s) + 1.0))};
      });
    case UnaryOp::Mish:  // d(x tanh(sp x)) = t + x s (1 - t^2), t = tanh(softplus x), s = sigmoid x
      return record("MishBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor& x = c.saved[0];
        Tensor t = unary(UnaryOp::Tanh, unary(UnaryOp::Log1p, exp(x)));
        Tensor s = unary(UnaryOp::Sigmoid, x);
        return {c.grad() * (t + x * s * (1.0 - t * t))};
      });
    case UnaryOp::Selu:  // scale for x > 0, else scale alpha e^x (PyTorch's EluBackward0 with selu's constants)
      return record("EluBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        const Tensor &x = c.saved[0], &g = c.grad();
        Tensor neg = g * exp(x) * (kernels::kSeluScale * kernels::kSeluAlpha);
        return {where(positive(x), g * kernels::kSeluScale, neg)};
      });
    case UnaryOp::Logsigmoid:  // d ln s(x) = 1 - s(x) = s(-x)
      return record("LogSigmoidBackward0", {y}, {x}, {x}, [](const BackwardArgs& c) -> tensor_list {
        return {c.grad() * unary(UnaryOp::Sigmoid, -c.saved[0])};
      });
    case UnaryOp::BitwiseNot:
#define EMBER_PREDICATE_CASE(Op, name, F) case UnaryOp::Op:
      EMBER_UNARY_PREDICATES(EMBER_PREDICATE_CASE)
#undef EMBER_PREDICATE_CASE
      return;  // integer or bool results: never differentiable
  }
}

// The unary ops PyTorch refuses for a dtype (DtypeRule NoBool, Floating, Integral), with its
// exception types and messages.
void check_input_dtype(UnaryOp op, DType dtype) {
  EMBER_CHECK(dtype_rule(op) != DtypeRule::Floating || is_floating(dtype), NotImplemented, "[", op_name(op),
              "] not implemented for '", torch_type_name(dtype), "'");
  EMBER_CHECK(dtype_rule(op) != DtypeRule::Integral || !is_floating(dtype), NotImplemented, "[", op_name(op),
              "] not implemented for '", torch_type_name(dtype), "'");
  if (dtype != DType::Bool || dtype_rule(op) != DtypeRule::NoBool || op == UnaryOp::Square) return;
  EMBER_CHECK(op != UnaryOp::Neg, Runtime, "[neg] Negation, the `-` operator, on a bool tensor is not supported. "
              "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  EMBER_CHECK(op != UnaryOp::Relu, Runtime, "[relu] Boolean inputs not supported for relu");
  fail(ErrorKind::NotImplemented, "[", op_name(op), "] not implemented for 'Bool'");
}

// The dtype an op computes and returns in: ToFloat ops compute integers in the default dtype
// (Note [Default dtype]), square of a
// bool is an int64 (PyTorch's pow(x, 2)), predicates return bool.
DType compute_dtype(UnaryOp op, DType in) {
  if (dtype_rule(op) == DtypeRule::ToFloat && !is_floating(in)) return default_dtype();
  if (op == UnaryOp::Square && in == DType::Bool) return DType::Int64;
  return in;
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  check_input_dtype(op, x.dtype());
  DType dt = compute_dtype(op, x.dtype());
  Tensor xc = cast_for_kernel(x, dt);
  Tensor y = empty(x.sizes(), is_predicate(op) ? DType::Bool : dt, x.device());
  EMBER_DISPATCH_KERNEL(y.device(), unary, op, dt, y.raw_data(), xc.raw_data(), make_loop(y, {&xc}));
  if (is_floating(y.dtype()) && autograd::needs_grad(x)) record_backward(op, y, x);
  return y;
}

Tensor& unary_(UnaryOp op, Tensor& x) {
  const char* name = op_name(op);
  check_input_dtype(op, x.dtype());
  check_no_internal_overlap(name, x);
  check_inplace(name, x, false);
  if (autograd::needs_grad(x)) {
    commit_inplace(name, x, unary(op, original_self(x)));
    return x;
  }
  DType result = compute_dtype(op, x.dtype());
  EMBER_CHECK(result == x.dtype(), Runtime, "[", name, "_] result type ", dtype_name(result),
              " can't be cast to the desired output type ", dtype_name(x.dtype()));
  if (is_predicate(op)) {  // logical_not_: the bool result cast back to x's dtype
    copy_into(x, unary(op, x));
    x->bump_version();
    return x;
  }
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
// (clamp(int64 [1, 2, 3], min=1.5) is [1.5, 2, 3] in the default dtype), as PyTorch's type promotion says.
// A bool tensor with an int bound is clamped as int64 (bool + int promotes), as in PyTorch.
Tensor clamp(const Tensor& x, std::optional<Scalar> lo, std::optional<Scalar> hi) {
  DType out = x.dtype();
  if (lo) out = promote_with_scalar(out, lo->kind, default_dtype());
  if (hi) out = promote_with_scalar(out, hi->kind, default_dtype());
  EMBER_CHECK(out != DType::Bool, NotImplemented, "[clamp] not implemented for 'Bool'");
  auto value = [](std::optional<Scalar> s) { return s ? std::optional<double>(s->value) : std::nullopt; };
  return clamp(to_dtype(x, out), value(lo), value(hi));
}

// Tensor bounds, broadcast against x: the forward is written with where (a NaN bound wins, as in
// the scalar-bound kernel ClampF); the backward is PyTorch's clamp_backward_min_max: x keeps the
// gradient where lo <= x <= hi, lo where x < lo (and lo < hi), hi where x > hi (or hi < lo). So a
// NaN, in x or in a bound, passes no gradient.
Tensor clamp(const Tensor& x, const Tensor& lo, const Tensor& hi) {
  EMBER_CHECK(lo.defined() || hi.defined(), Runtime, "[clamp] at least one of 'min' or 'max' must not be None");
  EMBER_CHECK(x.dtype() != DType::Bool, Runtime, "[clamp] not supported for bool tensors");
  Tensor y = x;
  {
    autograd::AutoGradMode no_grad(false);
    auto wins = [](BinaryOp beyond, const Tensor& y, const Tensor& bound) {
      return binary(BinaryOp::LogicalOr, binary(beyond, y, bound), unary(UnaryOp::Isnan, bound));
    };
    if (lo.defined()) y = where(wins(BinaryOp::Lt, y, lo), lo, y);
    if (hi.defined()) y = where(wins(BinaryOp::Gt, y, hi), hi, y);
  }
  if (!is_floating(y.dtype()) || !autograd::needs_grad({&x, &lo, &hi})) return y;
  Shape sx = x.sizes(), slo = lo.defined() ? lo.sizes() : Shape{}, shi = hi.defined() ? hi.sizes() : Shape{};
  autograd::record("ClampBackward0", {y}, {x, lo, hi}, {x, lo, hi}, [sx, slo, shi](const BackwardArgs& c) -> tensor_list {
    const Tensor &x = c.saved[0], &lo = c.saved[1], &hi = c.saved[2], &g = c.grad();
    Tensor zero = scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device());
    auto pass = [&](const Tensor& mask, const Shape& shape) { return sum_to(where(mask, g, zero), shape); };
    auto both = [](const Tensor& a, const Tensor& b, BinaryOp op) {
      return a.defined() ? (b.defined() ? binary(op, a, b) : a) : b;
    };
    Tensor x_ge_lo = lo.defined() ? binary(BinaryOp::Ge, x, lo) : Tensor();
    Tensor x_le_hi = hi.defined() ? binary(BinaryOp::Le, x, hi) : Tensor();
    Tensor gx, glo, ghi;
    if (c.needs[0]) gx = pass(both(x_ge_lo, x_le_hi, BinaryOp::LogicalAnd), sx);
    if (c.needs[1] && lo.defined()) {
      Tensor below = binary(BinaryOp::Lt, x, lo);
      glo = pass(hi.defined() ? binary(BinaryOp::LogicalAnd, below, binary(BinaryOp::Lt, lo, hi)) : below, slo);
    }
    if (c.needs[2] && hi.defined()) {
      Tensor above = binary(BinaryOp::Gt, x, hi);
      ghi = pass(lo.defined() ? binary(BinaryOp::LogicalOr, above, binary(BinaryOp::Lt, hi, lo)) : above, shi);
    }
    return {gx, glo, ghi};
  });
  return y;
}

Tensor& clamp_(Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  check_no_internal_overlap("clamp_", x);
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
  if (lo) out = promote_with_scalar(out, lo->kind, default_dtype());
  if (hi) out = promote_with_scalar(out, hi->kind, default_dtype());
  EMBER_CHECK(out == x.dtype(), Runtime, "[clamp_] result type ", dtype_name(out),
              " can't be cast to the desired output type ", dtype_name(x.dtype()));
  auto value = [](std::optional<Scalar> s) { return s ? std::optional<double>(s->value) : std::nullopt; };
  return clamp_(x, value(lo), value(hi));
}

Tensor& clamp_(Tensor& x, const Tensor& lo, const Tensor& hi) {
  check_no_internal_overlap("clamp_", x);
  check_no_partial_overlap("clamp_", x, lo);
  check_no_partial_overlap("clamp_", x, hi);
  Tensor y = clamp(x, lo, hi);
  EMBER_CHECK(y.dtype() == x.dtype(), Runtime, "[clamp_] result type ", dtype_name(y.dtype()),
              " can't be cast to the desired output type ", dtype_name(x.dtype()));
  return copy_(x, y);
}

}  // namespace ember
