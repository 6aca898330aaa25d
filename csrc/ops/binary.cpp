// Elementwise binary ops: broadcasting, type promotion, and their backward formulas.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "kernels/binary.h"
#include "kernels/copy.h"
#include "kernels/dispatch.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// PyTorch's rule: a 0-dim tensor only decides the dtype when it is of a higher category
// (bool < integer < floating) than every dimensioned operand.
int category(DType d) { return d == DType::Bool ? 0 : (is_integral(d) ? 1 : 2); }

DType result_type(const Tensor& a, const Tensor& b) {
  bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za == zb) return promote_types(a.dtype(), b.dtype());
  const Tensor& dimmed = za ? b : a;
  const Tensor& zero = za ? a : b;
  return category(zero.dtype()) > category(dimmed.dtype()) ? promote_types(a.dtype(), b.dtype())
                                                           : dimmed.dtype();
}

// A Python bool takes part in the op as a bool, even though it is stored in the promoted dtype.
DType scalar_dtype(Scalar s) { return s.kind == ScalarKind::Bool ? DType::Bool : DType::Int64; }

// The dtype the kernel computes in, with the op's own rules on top of promotion.
DType compute_dtype(BinaryOp op, DType a, DType b, DType common) {
  if (dtype_rule(op) == DtypeRule::ToFloat && !is_floating(common)) return default_dtype();  // e.g. true division
  EMBER_CHECK(!(op == BinaryOp::Sub && common == DType::Bool), Runtime,
              "[sub] Subtraction, the `-` operator, with two bool tensors is not supported. "
              "Use the `^` or `logical_xor()` operator instead.");
  EMBER_CHECK(!(op == BinaryOp::Sub && (a == DType::Bool || b == DType::Bool)), Runtime,
              "[sub] Subtraction, the `-` operator, with a bool tensor is not supported. "
              "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  EMBER_CHECK(!(dtype_rule(op) == DtypeRule::NoBool && common == DType::Bool), NotImplemented, "[", op_name(op),
              "] not implemented for bool tensors");
  EMBER_CHECK(dtype_rule(op) != DtypeRule::Floating || is_floating(common), NotImplemented, "[", op_name(op),
              "] not implemented for '", torch_type_name(common), "'");
  EMBER_CHECK(dtype_rule(op) != DtypeRule::Integral || !is_floating(common), NotImplemented, "[", op_name(op),
              "] not implemented for '", torch_type_name(common), "'");
  return common;
}

// Note [Save only for inputs that need grad]
// A formula's saved tensor is version-checked when backward runs, so saving an operand that no
// gradient reads turns a harmless later in-place write into an error: `d += d * 2` must work,
// as in PyTorch, because d * 2 needs only the 2 to differentiate with respect to d.
// if_needed(t, other) is t when `other` (the input whose gradient reads t) requires grad.
Tensor if_needed(const Tensor& t, const Tensor& other) { return other.requires_grad() ? t : Tensor(); }

Tensor zero_like_scalar(const Tensor& g) { return scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()); }

// Backward formulas: d(out)/da and d(out)/db, each summed back to its input's shape. A new op of
// EMBER_BINARY_OPS (kernels/op_kinds.h) gets its case here; the switch has no default, so the
// build warns until it has one.
void record_backward(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  Shape sa = a.sizes(), sb = b.sizes();
  switch (op) {
    case BinaryOp::Add:
      return autograd::record("AddBackward0", {out}, {a, b}, {}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        return {c.needs[0] ? sum_to(c.grad(), sa) : Tensor(), c.needs[1] ? sum_to(c.grad(), sb) : Tensor()};
      });
    case BinaryOp::Sub:
      return autograd::record("SubBackward0", {out}, {a, b}, {}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        return {c.needs[0] ? sum_to(c.grad(), sa) : Tensor(), c.needs[1] ? sum_to(-c.grad(), sb) : Tensor()};
      });
    case BinaryOp::Mul:  // d(ab)/da = b, d(ab)/db = a. See Note [Save only for inputs that need grad].
      return autograd::record("MulBackward0", {out}, {a, b}, {if_needed(a, b), if_needed(b, a)},
                              [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        return {c.needs[0] ? sum_to(g * b, sa) : Tensor(), c.needs[1] ? sum_to(g * a, sb) : Tensor()};
      });
    case BinaryOp::Div:  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2, formed as -g * ((a / b) / b) as PyTorch
                         // forms it, so that where it overflows (a = -1e308, b = 0.7) both give inf
      return autograd::record("DivBackward0", {out}, {a, b}, {if_needed(a, b), b},
                              [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        return {c.needs[0] ? sum_to(g / b, sa) : Tensor(), c.needs[1] ? sum_to(-g * (a / b / b), sb) : Tensor()};
      });
    case BinaryOp::Pow:  // d(a^b)/da = b a^(b-1) (0 where b == 0, not 0 * 0^-1),
                         // d(a^b)/db = a^b ln a (0 where a == 0 and b >= 0; 0^-1 ln 0 = -inf, as PyTorch)
      return autograd::record("PowBackward1", {out}, {a, b}, {a, b, out}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &out = c.saved[2], &g = c.grad();
        Tensor ga, gb;
        if (c.needs[0]) {
          Tensor da = g * b * binary(BinaryOp::Pow, a, b - 1.0);
          ga = sum_to(where(binary(BinaryOp::Eq, b, Scalar{0, ScalarKind::Int}), zero_like_scalar(g), da), sa);
        }
        if (c.needs[1]) {
          Tensor zero_base = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Eq, a, Scalar{0, ScalarKind::Int}),
                                    binary(BinaryOp::Ge, b, Scalar{0, ScalarKind::Int}));
          Tensor safe = where(zero_base, zero_like_scalar(g), g * out * log(a));
          gb = sum_to(safe, sb);
        }
        return {ga, gb};
      });
    case BinaryOp::Maximum:
    case BinaryOp::Minimum: {
      // The gradient goes to the winner and ties split it in half. As PyTorch's formula, an
      // operand gets it unless it strictly lost, so where a NaN makes every comparison false
      // (the output is NaN), both operands get the whole gradient.
      const char* name = op == BinaryOp::Maximum ? "MaximumBackward0" : "MinimumBackward0";
      BinaryOp a_wins = op == BinaryOp::Maximum ? BinaryOp::Gt : BinaryOp::Lt;
      BinaryOp a_loses = op == BinaryOp::Maximum ? BinaryOp::Lt : BinaryOp::Gt;
      return autograd::record(name, {out}, {a, b}, {a, b}, [sa, sb, a_wins, a_loses](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        DType dt = g.dtype();
        Tensor half_on_tie = to_dtype(binary(BinaryOp::Eq, a, b), dt) * 0.5;
        auto share = [&](BinaryOp lost) { return 1.0 - to_dtype(binary(lost, a, b), dt) - half_on_tie; };
        return {c.needs[0] ? sum_to(g * share(a_loses), sa) : Tensor(),
                c.needs[1] ? sum_to(g * share(a_wins), sb) : Tensor()};
      });
    }
    case BinaryOp::Fmax:
    case BinaryOp::Fmin: {
      // a gets the gradient where it is the result (ties and a NaN b included), b elsewhere.
      const char* name = op == BinaryOp::Fmax ? "FmaxBackward0" : "FminBackward0";
      BinaryOp a_kept = op == BinaryOp::Fmax ? BinaryOp::Ge : BinaryOp::Le;
      return autograd::record(name, {out}, {a, b}, {a, b}, [sa, sb, a_kept](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        Tensor to_a = binary(BinaryOp::LogicalOr, binary(a_kept, a, b), unary(UnaryOp::Isnan, b));
        Tensor zero = zero_like_scalar(g);
        return {c.needs[0] ? sum_to(where(to_a, g, zero), sa) : Tensor(),
                c.needs[1] ? sum_to(where(to_a, zero, g), sb) : Tensor()};
      });
    }
    case BinaryOp::Fmod:  // d/da = 1, d/db = -trunc(a / b)
    case BinaryOp::Remainder: {  // d/da = 1, d/db = -floor(a / b), as floor_divide rounds it (fmod: trunc)
      const bool fmod = op == BinaryOp::Fmod;
      return autograd::record(fmod ? "FmodBackward1" : "RemainderBackward1", {out}, {a, b}, {if_needed(a, b), if_needed(b, b)},
                              [sa, sb, fmod](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        Tensor gb;
        // floor_divide, not floor(a / b): a quotient that underflows to -0 still floors to -1
        // when the signs differ (-1e-310 // 1e308 == -1), as torch's div(rounding_mode="floor").
        if (c.needs[1]) gb = sum_to(-g * (fmod ? unary(UnaryOp::Trunc, a / b) : binary(BinaryOp::FloorDivide, a, b)), sb);
        return {c.needs[0] ? sum_to(g, sa) : Tensor(), gb};
      });
    }
    case BinaryOp::Atan2:  // d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
      return autograd::record("Atan2Backward0", {out}, {a, b}, {a, b}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &g = c.grad();
        // 0 where a^2 + b^2 is 0 (both tiny or zero), as torch: the gradient there is 0, not inf/NaN.
        Tensor denom = a * a + b * b;
        Tensor r = where(binary(BinaryOp::Eq, denom, Scalar{0, ScalarKind::Int}), zeros({}, denom.dtype(), denom.device()),
                         unary(UnaryOp::Reciprocal, denom));
        return {c.needs[0] ? sum_to(g * b * r, sa) : Tensor(), c.needs[1] ? sum_to(-g * a * r, sb) : Tensor()};
      });
    case BinaryOp::Hypot:  // d/da = a / out, d/db = b / out
      return autograd::record("HypotBackward0", {out}, {a, b}, {a, b, out}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &b = c.saved[1], &out = c.saved[2], &g = c.grad();
        return {c.needs[0] ? sum_to(g * a / out, sa) : Tensor(), c.needs[1] ? sum_to(g * b / out, sb) : Tensor()};
      });
    case BinaryOp::Copysign:  // d/da = out / a (0 where a == 0); the sign's source gets none
      return autograd::record("CopysignBackward0", {out}, {a, b}, {a, out}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &a = c.saved[0], &out = c.saved[1], &g = c.grad();
        Tensor ga, gb;
        if (c.needs[0]) {
          Tensor at_zero = binary(BinaryOp::Eq, a, Scalar{0, ScalarKind::Int});
          ga = sum_to(where(at_zero, zero_like_scalar(g), g * (out / a)), sa);
        }
        if (c.needs[1]) gb = zeros(sb, g.dtype(), g.device());
        return {ga, gb};
      });
    case BinaryOp::Xlogy:  // d/dx = log(y) (as xlogy(g, y)), 0 where x == 0 and y <= 0; d/dy = x / y
      return autograd::record("XlogyBackward0", {out}, {a, b}, {a, b}, [sa, sb](const BackwardArgs& c) -> tensor_list {
        const Tensor &x = c.saved[0], &y = c.saved[1], &g = c.grad();
        Tensor gx, gy;
        if (c.needs[0]) {  // PyTorch's formula: at x = 0 the derivative is still log(y) where y > 0
          Tensor undefined = binary(BinaryOp::LogicalAnd, binary(BinaryOp::Eq, x, Scalar{0, ScalarKind::Int}),
                                    binary(BinaryOp::Le, y, Scalar{0, ScalarKind::Int}));
          gx = sum_to(where(undefined, zero_like_scalar(g), binary(BinaryOp::Xlogy, g, y)), sa);
        }
        if (c.needs[1]) gy = sum_to(g * x / y, sb);
        return {gx, gy};
      });
    case BinaryOp::FloorDivide:  // PyTorch records the op but has no formula: backward raises
      return autograd::record("FloorDivideBackward0", {out}, {a, b}, {}, [](const BackwardArgs&) -> tensor_list {
        fail(ErrorKind::Runtime, "[floor_divide] derivative for aten::floor_divide is not implemented");
      });
    case BinaryOp::BitwiseAnd:
    case BinaryOp::BitwiseOr:
    case BinaryOp::BitwiseXor:
#define EMBER_COMPARISON_CASE(Op, name, F) case BinaryOp::Op:
    EMBER_COMPARISON_OPS(EMBER_COMPARISON_CASE)
    EMBER_LOGICAL_OPS(EMBER_COMPARISON_CASE)
#undef EMBER_COMPARISON_CASE
      return;  // integer or bool results: not differentiable
  }
}

// Note [Integer division by zero] (kernels/functors.h): PyTorch's CPU kernels raise for an integer
// zero divisor; so does ember, on the CPU only, since reading a CUDA tensor here would wait for
// the device on every call.
void check_integer_divisor(BinaryOp op, DType compute, const Tensor& b) {
  if (is_floating(compute) || !b.device().is_cpu() || b.numel() == 0) return;
  if (op != BinaryOp::Fmod && op != BinaryOp::Remainder && op != BinaryOp::FloorDivide) return;
  autograd::AutoGradMode no_grad(false);
  Tensor zero = any(binary(BinaryOp::Eq, b, Scalar{0, ScalarKind::Int}), {}, false);
  EMBER_CHECK(!*zero.data<bool>(), Runtime, "[", op_name(op), "] ZeroDivisionError");
}

Tensor binary_impl(BinaryOp op, const Tensor& a, const Tensor& b, DType common) {
  const char* name = op_name(op);
  check_same_device(name, a, b);
  Shape out_shape = a.sizes() == b.sizes() ? a.sizes() : broadcast_shapes(name, a.sizes(), b.sizes());
  DType compute = compute_dtype(op, a.dtype(), b.dtype(), common);
  Tensor out = empty(out_shape, is_comparison(op) ? DType::Bool : compute, a.device());
  Tensor ac = cast_for_kernel(a, compute), bc = cast_for_kernel(b, compute);
  check_integer_divisor(op, compute, bc);
  EMBER_DISPATCH_KERNEL(out.device(), binary, op, compute, out.raw_data(), ac.raw_data(), bc.raw_data(),
                        make_loop(out, {&ac, &bc}));
  if (!is_comparison(op) && autograd::needs_grad(a, b)) record_backward(op, out, a, b);
  return out;
}

// Note [Scalars by value] (kernels/loop_shape.h): a Python number goes to the kernel in its
// arguments, since a 0-d tensor would cost an allocation each time, and on CUDA a fill kernel too.
// Floating results only (an integer's range checks live in full()), and only where autograd
// records nothing: the backward formulas take the number as a tensor, so there it becomes one.
bool scalar_by_value(const Tensor& t, DType compute) { return is_floating(compute) && !autograd::needs_grad(t); }

// The kernel call of op(t, value), or op(value, t) when scalar_first, into `out` (which may be t).
void run_with_scalar(BinaryOp op, DType compute, const Tensor& out, const Tensor& t, Scalar value, bool scalar_first) {
  Tensor tc = cast_for_kernel(t, compute);
  kernels::LoopShape loop = make_loop(out, {&tc, &tc});
  const int k = scalar_first ? 1 : 2;  // the scalar's operand: strides 0, value in the loop
  for (int d = 0; d < loop.ndim; ++d) loop.strides[k][d] = 0;
  EMBER_DISPATCH_FLOATING(compute, op_name(op), [&] { loop.set_scalar(k, static_cast<scalar_t>(value.value)); });
  const void* p = tc.raw_data();
  EMBER_DISPATCH_KERNEL(out.device(), binary, op, compute, out.raw_data(), scalar_first ? nullptr : p,
                        scalar_first ? p : nullptr, loop);
}

Tensor binary_with_scalar(BinaryOp op, const Tensor& t, Scalar value, bool scalar_first, DType common) {
  DType compute = scalar_first ? compute_dtype(op, common, t.dtype(), common) : compute_dtype(op, t.dtype(), common, common);
  if (!scalar_by_value(t, compute)) {
    Tensor v = scalar_tensor(value, common, t.device());
    return scalar_first ? binary_impl(op, v, t, common) : binary_impl(op, t, v, common);
  }
  Tensor out = empty(t.sizes(), is_comparison(op) ? DType::Bool : compute, t.device());
  run_with_scalar(op, compute, out, t, value, scalar_first);
  return out;
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) { return binary_impl(op, a, b, result_type(a, b)); }

// A Python number on either side: a 0-dim tensor of the promoted dtype, or its value passed by
// value (Note [Scalars by value]).
Tensor binary(BinaryOp op, const Tensor& a, Scalar b) {
  DType dt = promote_with_scalar(a.dtype(), b.kind, default_dtype());
  compute_dtype(op, a.dtype(), scalar_dtype(b), dt);
  EMBER_CHECK(!(op == BinaryOp::Pow && is_integral(dt) && b.value < 0), Runtime,
              "[pow] Integers to negative integer powers are not allowed.");
  return binary_with_scalar(op, a, b, false, dt);
}

Tensor binary(BinaryOp op, Scalar a, const Tensor& b) {
  DType dt = promote_with_scalar(b.dtype(), a.kind, default_dtype());
  compute_dtype(op, scalar_dtype(a), b.dtype(), dt);
  return binary_with_scalar(op, b, a, true, dt);
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }

Tensor& binary_(BinaryOp op, Tensor& self, const Tensor& other) {
  const char* name = op_name(op);
  check_same_device(name, self, other);
  const std::string inplace_name = std::string(name) + "_";
  check_no_internal_overlap(inplace_name.c_str(), self);
  check_no_partial_overlap(inplace_name.c_str(), self, other);
  check_inplace(name, self, other.requires_grad());
  DType compute = compute_dtype(op, self.dtype(), other.dtype(), result_type(self, other));
  DType result = is_comparison(op) ? DType::Bool : compute;
  EMBER_CHECK(category(result) <= category(self.dtype()), Runtime, "[", name, "_] result type ",
              dtype_name(result), " can't be cast to the desired output type ", dtype_name(self.dtype()));
  if (autograd::needs_grad(self, other)) {
    bool saves_self = op != BinaryOp::Add && op != BinaryOp::Sub;
    commit_inplace(name, self, binary(op, saves_self ? original_self(self) : self, other));
    return self;
  }
  Shape shape = broadcast_shapes(name, self.sizes(), other.sizes());
  EMBER_CHECK(shape == self.sizes(), Runtime, "[", name, "_] output with shape ", shape_str(self.sizes()),
              " doesn't match the broadcast shape ", shape_str(shape));
  if (result == self.dtype() && !is_comparison(op)) {
    Tensor oc = cast_for_kernel(other, compute);
    check_integer_divisor(op, compute, oc);
    EMBER_DISPATCH_KERNEL(self.device(), binary, op, compute, self.raw_data(), self.raw_data(), oc.raw_data(),
                          make_loop(self, {&self, &oc}));
  } else {
    copy_into(self, binary(op, self, other));
  }
  self->bump_version();
  return self;
}

Tensor& binary_(BinaryOp op, Tensor& self, Scalar other) {
  compute_dtype(op, self.dtype(), scalar_dtype(other), promote_with_scalar(self.dtype(), other.kind, default_dtype()));
  if (!is_comparison(op) && scalar_by_value(self, self.dtype())) {  // a floating self keeps its dtype
    const std::string inplace_name = std::string(op_name(op)) + "_";
    check_no_internal_overlap(inplace_name.c_str(), self);
    check_inplace(op_name(op), self, false);
    run_with_scalar(op, self.dtype(), self, self, other, false);
    self->bump_version();
    return self;
  }
  return binary_(op, self, scalar_tensor(other, promote_with_scalar(self.dtype(), other.kind, default_dtype()), self.device()));
}

void add_inplace(Tensor& self, const Tensor& other) {
  autograd::AutoGradMode no_grad(false);
  binary_(BinaryOp::Add, self, other);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(cond.dtype() == DType::Bool, Runtime, "[where] expected condition to be a bool tensor, got ",
              dtype_name(cond.dtype()));
  check_same_device("where", cond, a);
  check_same_device("where", a, b);
  Shape shape = broadcast_shapes("where", broadcast_shapes("where", cond.sizes(), a.sizes()), b.sizes());
  DType dt = result_type(a, b);
  Tensor out = empty(shape, dt, a.device());
  Tensor ac = cast_for_kernel(a, dt), bc = cast_for_kernel(b, dt);
  EMBER_DISPATCH_KERNEL(out.device(), where, dt, out.raw_data(), cond.raw_data(), ac.raw_data(), bc.raw_data(),
                        make_loop(out, {&cond, &ac, &bc}));
  if (is_floating(dt) && autograd::needs_grad(a, b)) {
    Shape sa = a.sizes(), sb = b.sizes();
    autograd::record("WhereBackward0", {out}, {a, b}, {cond}, [sa, sb](const BackwardArgs& c) -> tensor_list {
      const Tensor &cond = c.saved[0], &g = c.grad();
      Tensor zero = zero_like_scalar(g);
      return {c.needs[0] ? sum_to(where(cond, g, zero), sa) : Tensor(),
              c.needs[1] ? sum_to(where(cond, zero, g), sb) : Tensor()};
    });
  }
  return out;
}

}  // namespace ember
