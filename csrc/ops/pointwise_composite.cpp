// Elementwise ops that PyTorch has as one kernel but that are exact as a few of ember's table
// ops (round with decimals, lerp, addcmul, addcdiv, isclose, nan_to_num): their values follow
// PyTorch's kernel formulas step by step, and their gradients come from the ops they are made of.
#include <cmath>
#include <limits>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

namespace {

Tensor scalar_like(double v, const Tensor& like) { return scalar_tensor(Scalar{v, ScalarKind::Float}, like.dtype(), like.device()); }

void check_floating(const char* op, DType d) {
  EMBER_CHECK(is_floating(d), NotImplemented, "[", op, "] not implemented for '", torch_type_name(d), "'");
}

}  // namespace

// PyTorch's kernel: nearbyint(x * 10^d) / 10^d, or nearbyint(x / 10^-d) * 10^-d for d < 0, in x's
// dtype (so float32 rounds exactly as PyTorch's float32 kernel does).
Tensor round_decimals(const Tensor& x, int64_t decimals) {
  if (decimals == 0) return unary(UnaryOp::Round, x);
  check_floating("round", x.dtype());
  const double ten_pow = std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals));
  Tensor p = scalar_like(ten_pow, x);
  if (decimals > 0) return unary(UnaryOp::Round, x * p) / p;
  return unary(UnaryOp::Round, x / p) * p;
}

// Note [lerp in two halves]: PyTorch computes start + w (end - start) for |w| < 0.5 and
// end - (end - start)(1 - w) otherwise, so lerp(a, b, 1) is exactly b. Both halves have the
// same derivatives (1 - w, w, end - start), so `where` over them differentiates correctly.
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  EMBER_CHECK(start.dtype() == end.dtype(), Runtime, "[lerp] expected dtype ", dtype_name(start.dtype()),
              " for `end` but got dtype ", dtype_name(end.dtype()));
  EMBER_CHECK(start.dtype() == weight.dtype(), Runtime, "[lerp] expected dtype ", dtype_name(start.dtype()),
              " for `weight` but got dtype ", dtype_name(weight.dtype()));
  check_floating("lerp", start.dtype());
  Tensor diff = end - start;
  Tensor low = binary(BinaryOp::Lt, unary(UnaryOp::Abs, weight), Scalar{0.5, ScalarKind::Float});
  return where(low, start + weight * diff, end - diff * (1.0 - weight));
}

Tensor lerp(const Tensor& start, const Tensor& end, double weight) {
  EMBER_CHECK(start.dtype() == end.dtype(), Runtime, "[lerp] expected dtype ", dtype_name(start.dtype()),
              " for `end` but got dtype ", dtype_name(end.dtype()));
  check_floating("lerp", start.dtype());
  Tensor diff = end - start;
  if (std::fabs(weight) < 0.5) return start + diff * weight;
  return end - diff * (1.0 - weight);
}

using autograd::BackwardArgs;

namespace {
// t1 and t2 expanded to the shape of the whole result, so that their gradients are formed per
// element of it and then summed, as PyTorch's formulas do (grad * value / t2 summed over the
// broadcast dims): with an infinite term the sum is NaN, where summing grad first would give inf.
std::pair<Tensor, Tensor> expand_operands(const char* op, const Tensor& self, const Tensor& t1, const Tensor& t2) {
  const Shape shape = broadcast_shapes(op, broadcast_shapes(op, self.sizes(), t1.sizes()), t2.sizes());
  return {expand(t1, shape), expand(t2, shape)};
}
}  // namespace

// self + value * t1 * t2, in PyTorch's order of operations.
// PyTorch casts `value` to the integer result dtype (addcmul(ints, value=0.5) multiplies by 0).
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  DType common = promote_types(promote_types(self.dtype(), t1.dtype()), t2.dtype());
  EMBER_CHECK(common != DType::Bool, NotImplemented, "[addcmul] not implemented for 'Bool'");
  if (!is_floating(common)) value = Scalar{std::trunc(value.value), ScalarKind::Int};
  auto [e1, e2] = expand_operands("addcmul", self, t1, t2);
  return self + binary(BinaryOp::Mul, binary(BinaryOp::Mul, value, e1), e2);
}

Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  EMBER_CHECK(is_floating(t1.dtype()) || is_floating(t2.dtype()), Runtime,
              "[addcdiv] Integer division with addcdiv is no longer supported, and in a future release "
              "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
              "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
              "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior "
              "is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.");
  Tensor out;
  {
    autograd::AutoGradMode no_grad(false);
    out = self + binary(BinaryOp::Mul, value, t1) / t2;
  }
  if (!is_floating(out.dtype()) || !autograd::needs_grad({&self, &t1, &t2})) return out;
  // PyTorch's formulas, term for term (its composite order would differ where values underflow:
  // t1 = -0, t2 = -1e-310 gives d/dt2 = -g * value * -0 / 0 = NaN), each formed per element of
  // the result and then summed to its input's shape.
  Shape s0 = self.sizes(), s1 = t1.sizes(), s2 = t2.sizes();
  autograd::record("AddcdivBackward0", {out}, {self, t1, t2}, {t1, t2}, [s0, s1, s2, value](const BackwardArgs& c) -> tensor_list {
    const Tensor &t1 = c.saved[0], &t2 = c.saved[1], &g = c.grad();
    Tensor g1, g2;
    if (c.needs[1]) g1 = sum_to(g * binary(BinaryOp::Div, value, t2), s1);  // grad * (value / t2)
    if (c.needs[2]) g2 = sum_to(binary(BinaryOp::Mul, -g, value) * t1 / (t2 * t2), s2);  // -grad * value * t1 / t2^2
    return {c.needs[0] ? sum_to(g, s0) : Tensor(), g1, g2};
  });
  return out;
}

// PyTorch's definition: a == b, or (with equal_nan) both NaN, or a finite |a - b| within
// atol + |rtol * b|. No gradient.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[isclose] ", dtype_name(a.dtype()), " did not match ",
              dtype_name(b.dtype()));
  EMBER_CHECK(rtol >= 0, Value, "[isclose] rtol must be greater than or equal to zero, but got ", rtol);
  EMBER_CHECK(atol >= 0, Value, "[isclose] atol must be greater than or equal to zero, but got ", atol);
  autograd::AutoGradMode no_grad(false);
  Tensor close = binary(BinaryOp::Eq, a, b);
  if (equal_nan && is_floating(a.dtype()))
    close = binary(BinaryOp::LogicalOr, close,
                   binary(BinaryOp::LogicalAnd, unary(UnaryOp::Isnan, a), unary(UnaryOp::Isnan, b)));
  if (rtol == 0 && atol == 0) return close;
  // Integers meet the float tolerances in the default dtype, as rtol * other does in PyTorch.
  Tensor af = is_floating(a.dtype()) ? a : to_dtype(a, default_dtype());
  Tensor bf = is_floating(b.dtype()) ? b : to_dtype(b, default_dtype());
  Tensor allowed = unary(UnaryOp::Abs, bf * rtol) + atol;
  Tensor actual = unary(UnaryOp::Abs, af - bf);
  Tensor within = binary(BinaryOp::LogicalAnd, unary(UnaryOp::Isfinite, actual), binary(BinaryOp::Le, actual, allowed));
  return binary(BinaryOp::LogicalOr, close, within);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  Tensor all_close = all(isclose(a, b, rtol, atol, equal_nan), {}, false);
  return *to_device(all_close, cpu_device()).data<bool>();
}

// Same shape and the same values (NaN is never equal to itself), as torch.equal.
bool equal(const Tensor& a, const Tensor& b) {
  check_same_device("equal", a, b);
  if (a.sizes() != b.sizes()) return false;
  autograd::AutoGradMode no_grad(false);
  Tensor same = all(binary(BinaryOp::Eq, a, b), {}, false);
  return *to_device(same, cpu_device()).data<bool>();
}

// NaN, +inf and -inf replaced (by 0, the dtype's largest and lowest finite values unless given);
// integer and bool tensors are returned as a copy. The gradient flows where x is finite.
Tensor nan_to_num(const Tensor& x, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(x.dtype())) return clone(x);
  const bool f32 = x.dtype() == DType::Float32;
  const double big = f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  Tensor y = where(unary(UnaryOp::Isnan, x), scalar_like(nan.value_or(0.0), x), x);
  y = where(unary(UnaryOp::Isposinf, x), scalar_like(posinf.value_or(big), x), y);
  return where(unary(UnaryOp::Isneginf, x), scalar_like(neginf.value_or(-big), x), y);
}

// The in-place form of a composite: self takes the result's values (differentiably, through
// copy_), which must not need a wider dtype than self's, as for the table ops.
Tensor& assign_result_(const char* name, Tensor& self, const Tensor& result, const tensor_list& inputs) {
  check_no_internal_overlap(name, self);
  for (const Tensor& input : inputs) check_no_partial_overlap(name, self, input);
  auto rank = [](DType d) { return d == DType::Bool ? 0 : (is_integral(d) ? 1 : 2); };
  EMBER_CHECK(rank(result.dtype()) <= rank(self.dtype()), Runtime, "[", name, "] result type ",
              dtype_name(result.dtype()), " can't be cast to the desired output type ", dtype_name(self.dtype()));
  EMBER_CHECK(result.sizes() == self.sizes(), Runtime, "[", name, "] output with shape ", shape_str(self.sizes()),
              " doesn't match the broadcast shape ", shape_str(result.sizes()));
  return copy_(self, result);
}

Tensor& nan_to_num_(Tensor& x, std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) {
  if (!is_floating(x.dtype())) return x;  // nothing to replace (PyTorch writes nothing either)
  return assign_result_("nan_to_num_", x, nan_to_num(x, nan, posinf, neginf));
}

}  // namespace ember
