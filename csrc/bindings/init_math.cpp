// Arithmetic: Python operators, elementwise methods and their in-place forms.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// self <op> other, where other is a Tensor or a Python number; NotImplemented otherwise so
// Python can try the reflected operator.
template <BinaryOp op>
py::object forward_op(const Tensor& self, py::handle other) {
  if (auto t = as_tensor(other)) return py::cast(binary(op, self, *t));
  if (auto s = as_scalar(other)) return py::cast(binary(op, self, *s));
  return not_implemented();
}

template <BinaryOp op>
py::object reflected_op(const Tensor& self, py::handle other) {
  if (auto s = as_scalar(other)) return py::cast(binary(op, *s, self));
  return not_implemented();
}

template <BinaryOp op>
Tensor& inplace_op(Tensor& self, py::handle other) {
  if (auto t = as_tensor(other)) return binary_(op, self, *t);
  if (auto s = as_scalar(other)) return binary_(op, self, *s);
  throw py::type_error(std::string("unsupported operand type for in-place op: ") +
                       std::string(py::str(py::type::of(other).attr("__name__"))));
}

// A Python number as a 0-d tensor: a float is of the default dtype (Note [Default dtype]). Beside
// a tensor `like`, a number takes the dtype it promotes to with it instead (PyTorch's wrapped
// number, which never widens a tensor: where(c, float32 0-d, 2.5) stays float32) and its device.
Tensor as_operand(py::handle h, const char* op, const Tensor& like = Tensor()) {
  if (auto t = as_tensor(h)) return *t;
  if (auto s = as_scalar(h)) {
    if (like.defined()) return scalar_tensor(*s, promote_with_scalar(like.dtype(), s->kind, default_dtype()), like.device());
    return scalar_tensor(*s, s->kind == ScalarKind::Float ? default_dtype()
                             : s->kind == ScalarKind::Int ? DType::Int64 : DType::Bool);
  }
  throw py::type_error(std::string("[") + op + "] expected a Tensor or a number, got " +
                       std::string(py::str(py::type::of(h).attr("__name__"))));
}

// `alpha` as in torch.add(a, b, alpha=2): a + alpha * b. PyTorch casts alpha to the result
// dtype, so with two bool operands any nonzero alpha is True.
py::handle scaled(const Tensor& self, py::handle other, py::object alpha, py::object& keep) {
  if (alpha.is_none()) return other;
  auto t = as_tensor(other);
  if (self.dtype() == DType::Bool && (py::isinstance<py::bool_>(other) || (t && t->dtype() == DType::Bool)))
    alpha = py::bool_(PyObject_IsTrue(alpha.ptr()) == 1);
  keep = py::reinterpret_steal<py::object>(PyNumber_Multiply(other.ptr(), alpha.ptr()));
  if (!keep) throw py::error_already_set();
  return keep;
}

// clamp's bounds are None, Python numbers, or tensors; one tensor bound makes both tensors.
bool any_tensor(py::handle lo, py::handle hi) { return as_tensor(lo).has_value() || as_tensor(hi).has_value(); }

Tensor tensor_bound(py::handle h) { return h.is_none() ? Tensor() : as_operand(h, "clamp"); }

std::optional<Scalar> scalar_bound(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (auto s = as_scalar(h)) return s;
  throw py::type_error("[clamp] expected min and max to be numbers, tensors or None, got " +
                       std::string(py::str(py::type::of(h).attr("__name__"))));
}

Tensor clamp_any(const Tensor& t, py::handle lo, py::handle hi) {
  if (any_tensor(lo, hi)) return clamp(t, tensor_bound(lo), tensor_bound(hi));
  return clamp(t, scalar_bound(lo), scalar_bound(hi));
}

Tensor& clamp_any_(Tensor& t, py::handle lo, py::handle hi) {
  if (any_tensor(lo, hi)) return clamp_(t, tensor_bound(lo), tensor_bound(hi));
  return clamp_(t, scalar_bound(lo), scalar_bound(hi));
}

// ember.<op>(a, b): a number beside a tensor promotes as in `a + 2.5`.
template <BinaryOp op>
Tensor module_op(py::handle a, py::handle b) {
  auto ta = as_tensor(a), tb = as_tensor(b);
  if (ta && !tb)
    if (auto s = as_scalar(b)) return binary(op, *ta, *s);
  if (tb && !ta)
    if (auto s = as_scalar(a)) return binary(op, *s, *tb);
  return binary(op, as_operand(a, op_name(op)), as_operand(b, op_name(op)));
}

// How Python passes a binary op's operands: the PyArgs column of EMBER_BINARY_OPS
// (kernels/op_kinds.h, Note [One table per elementwise op family]).
enum class PyArgs { Operand, Alpha, Tensors, TensorsInplace };

// The Tensor method `name`, its in-place form `name_` and the function ember.`name` of one
// arithmetic op of the table.
template <BinaryOp op>
void def_binary(py::module_& m, PyTensor& cls, PyArgs args) {
  const char* name = op_name(op);
  const std::string inplace = std::string(name) + "_";
  switch (args) {
    case PyArgs::TensorsInplace:  // as Tensors, plus an in-place form (atan2_)
      cls.def(inplace.c_str(), [](Tensor& a, const Tensor& b) -> Tensor& { return binary_(op, a, b); });
      [[fallthrough]];
    case PyArgs::Tensors:  // no in-place form, no Python numbers (as torch.maximum)
      cls.def(name, [](const Tensor& a, const Tensor& b) { return binary(op, a, b); });
      m.def(name, [](const Tensor& a, const Tensor& b) { return binary(op, a, b); });
      return;
    case PyArgs::Alpha:
      cls.def(name, [](const Tensor& s, py::handle o, py::object alpha) {
        py::object keep;
        return forward_op<op>(s, scaled(s, o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none());
      cls.def(inplace.c_str(), [](Tensor& s, py::handle o, py::object alpha) -> Tensor& {
        py::object keep;
        return inplace_op<op>(s, scaled(s, o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none());
      m.def(name, [](py::handle a, py::handle b, py::object alpha) {  // ember.add(a, b, alpha=2)
        py::object keep;
        auto ta = as_tensor(a);
        return module_op<op>(a, ta && !alpha.is_none() ? scaled(*ta, b, alpha, keep) : b);
      }, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = py::none());
      return;
    case PyArgs::Operand:
      cls.def(name, &forward_op<op>);
      cls.def(inplace.c_str(), &inplace_op<op>);
      break;
  }
  m.def(name, &module_op<op>);
}

// The composites of ops/pointwise_composite.cpp and clamp's one-sided forms, as Tensor methods
// (with in-place forms where PyTorch has them) and ember functions.
void def_composites(py::module_& m, PyTensor& cls, py::list& exported) {
  auto round = [](const Tensor& t, int64_t decimals) { return round_decimals(t, decimals); };
  cls.def("round", round, py::kw_only(), py::arg("decimals") = 0);
  cls.def("round_", [](Tensor& t, int64_t decimals) -> Tensor& {
    return decimals == 0 ? unary_(UnaryOp::Round, t) : assign_result_("round_", t, round_decimals(t, decimals));
  }, py::kw_only(), py::arg("decimals") = 0);
  m.def("round", round, py::arg("input"), py::kw_only(), py::arg("decimals") = 0);

  auto lerp_any = [](const Tensor& s, const Tensor& e, py::handle w) {
    if (auto t = as_tensor(w)) return lerp(s, e, *t);
    if (auto v = as_scalar(w)) return lerp(s, e, v->value);
    throw py::type_error("[lerp] expected weight to be a Tensor or a number");
  };
  cls.def("lerp", lerp_any, py::arg("end"), py::arg("weight"));
  cls.def("lerp_", [lerp_any](Tensor& s, const Tensor& e, py::handle w) -> Tensor& {
    auto weight = as_tensor(w);
    return assign_result_("lerp_", s, lerp_any(s, e, w), {e, weight ? *weight : Tensor()});
  }, py::arg("end"), py::arg("weight"));
  m.def("lerp", lerp_any, py::arg("input"), py::arg("end"), py::arg("weight"));

  auto one_sided = [&](const char* name, bool is_min) {
    auto fn = [is_min](const Tensor& t, py::handle v) {
      return is_min ? clamp_any(t, v, py::none()) : clamp_any(t, py::none(), v);
    };
    cls.def(name, fn);
    cls.def((std::string(name) + "_").c_str(), [is_min](Tensor& t, py::handle v) -> Tensor& {
      return is_min ? clamp_any_(t, v, py::none()) : clamp_any_(t, py::none(), v);
    });
    m.def(name, fn);
  };
  one_sided("clamp_min", true);
  one_sided("clamp_max", false);

  using Addc = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, Scalar);
  auto addc = [&](const char* name, Addc fn) {
    auto call = [fn, name](const Tensor& s, const Tensor& t1, const Tensor& t2, py::handle value) {
      auto v = as_scalar(value);
      if (!v) throw py::type_error(std::string("[") + name + "] expected value to be a number");
      return fn(s, t1, t2, *v);
    };
    cls.def(name, call, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
    const std::string inplace = std::string(name) + "_";
    cls.def(inplace.c_str(), [call, inplace](Tensor& s, const Tensor& t1, const Tensor& t2, py::handle value) -> Tensor& {
      return assign_result_(inplace.c_str(), s, call(s, t1, t2, value), {t1, t2});
    }, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
    m.def(name, call, py::arg("input"), py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  };
  addc("addcmul", &addcmul);
  addc("addcdiv", &addcdiv);

  cls.def("isclose", &isclose, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
          py::arg("equal_nan") = false);
  m.def("isclose", &isclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  cls.def("allclose", &allclose, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
          py::arg("equal_nan") = false);
  m.def("allclose", &allclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  cls.def("equal", &equal, py::arg("other"));
  m.def("equal", &equal, py::arg("input"), py::arg("other"));

  cls.def("nan_to_num", &nan_to_num, py::arg("nan") = 0.0, py::arg("posinf") = py::none(),
          py::arg("neginf") = py::none());
  cls.def("nan_to_num_", &nan_to_num_, py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none());
  m.def("nan_to_num", &nan_to_num, py::arg("input"), py::arg("nan") = 0.0, py::arg("posinf") = py::none(),
        py::arg("neginf") = py::none());

  for (const char* name : {"lerp", "clamp_min", "clamp_max", "addcmul", "addcdiv", "isclose", "allclose", "equal",
                           "nan_to_num"})
    exported.append(name);
}

}  // namespace

void init_math(py::module_& m, PyTensor& cls) {
  // Python's operators; the named methods and functions come from the tables below.
  cls.def("__add__", &forward_op<BinaryOp::Add>).def("__radd__", &reflected_op<BinaryOp::Add>)
      .def("__sub__", &forward_op<BinaryOp::Sub>).def("__rsub__", &reflected_op<BinaryOp::Sub>)
      .def("__mul__", &forward_op<BinaryOp::Mul>).def("__rmul__", &reflected_op<BinaryOp::Mul>)
      .def("__truediv__", &forward_op<BinaryOp::Div>).def("__rtruediv__", &reflected_op<BinaryOp::Div>)
      .def("__pow__", &forward_op<BinaryOp::Pow>).def("__rpow__", &reflected_op<BinaryOp::Pow>)
      .def("__iadd__", &inplace_op<BinaryOp::Add>).def("__isub__", &inplace_op<BinaryOp::Sub>)
      .def("__imul__", &inplace_op<BinaryOp::Mul>).def("__itruediv__", &inplace_op<BinaryOp::Div>)
      .def("__mod__", &forward_op<BinaryOp::Remainder>).def("__rmod__", &reflected_op<BinaryOp::Remainder>)
      .def("__floordiv__", &forward_op<BinaryOp::FloorDivide>)
      .def("__rfloordiv__", &reflected_op<BinaryOp::FloorDivide>)
      .def("__and__", &forward_op<BinaryOp::BitwiseAnd>).def("__rand__", &reflected_op<BinaryOp::BitwiseAnd>)
      .def("__or__", &forward_op<BinaryOp::BitwiseOr>).def("__ror__", &reflected_op<BinaryOp::BitwiseOr>)
      .def("__xor__", &forward_op<BinaryOp::BitwiseXor>).def("__rxor__", &reflected_op<BinaryOp::BitwiseXor>)
      .def("__imod__", &inplace_op<BinaryOp::Remainder>).def("__ifloordiv__", &inplace_op<BinaryOp::FloorDivide>)
      .def("__iand__", &inplace_op<BinaryOp::BitwiseAnd>).def("__ior__", &inplace_op<BinaryOp::BitwiseOr>)
      .def("__ixor__", &inplace_op<BinaryOp::BitwiseXor>)
      .def("__invert__", [](const Tensor& t) {
        if (is_floating(t.dtype()))  // PyTorch's operator says TypeError; bitwise_not NotImplementedError
          throw py::type_error("~ (operator.invert) is only implemented on integer and Boolean-type tensors");
        return unary(UnaryOp::BitwiseNot, t);
      })
      .def("__neg__", [](const Tensor& t) { return neg(t); })
      .def("__pos__", [](const Tensor& t) { return t; })
      .def("__abs__", [](const Tensor& t) { return unary(UnaryOp::Abs, t); })
      .def("zero_", [](Tensor& s) -> Tensor& { return copy_(s, zeros({}, s.dtype(), s.device())); })
      .def("fill_", [](Tensor& s, py::handle v) -> Tensor& {
        if (auto sc = as_scalar(v)) check_fits("fill_", *sc, s.dtype());
        return copy_(s, as_operand(v, "fill_"));
      })
      .def("clamp", &clamp_any, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clip", &clamp_any, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clamp_", &clamp_any_, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clip_", &clamp_any_, py::arg("min") = py::none(), py::arg("max") = py::none());

  // The elementwise op tables of kernels/op_kinds.h (Note [One table per elementwise op family]).
  // `from ._C import *` in python/ember/__init__.py re-exports the functions listed in __all__.
  py::list exported;
  for (const OpKind<UnaryOp>& u : kUnaryOps) {
    const UnaryOp op = u.op;
    exported.append(u.name);
    if (op == UnaryOp::Round) continue;  // takes decimals=, below
    cls.def(u.name, [op](const Tensor& t) { return unary(op, t); });
    if (!is_predicate(op) || op == UnaryOp::LogicalNot)  // isnan_ ... do not exist
      cls.def((std::string(u.name) + "_").c_str(), [op](Tensor& t) -> Tensor& { return unary_(op, t); });
    m.def(u.name, [op](const Tensor& t) { return unary(op, t); });
  }
#define EMBER_DEF_BINARY(Op, name, F, rule, py) \
  def_binary<BinaryOp::Op>(m, cls, PyArgs::py); \
  exported.append(name);
#define EMBER_DEF_COMPARISON(Op, name, F)                                                  \
  cls.def(name, &forward_op<BinaryOp::Op>).def("__" name "__", &forward_op<BinaryOp::Op>); \
  m.def(name, &forward_op<BinaryOp::Op>, py::arg("input"), py::arg("other"));                \
  exported.append(name);
#define EMBER_DEF_LOGICAL(Op, name, F)                      \
  def_binary<BinaryOp::Op>(m, cls, PyArgs::TensorsInplace); \
  exported.append(name);
  EMBER_BINARY_OPS(EMBER_DEF_BINARY)
  EMBER_COMPARISON_OPS(EMBER_DEF_COMPARISON)
  EMBER_LOGICAL_OPS(EMBER_DEF_LOGICAL)
  // torch's longer names for the comparisons, as functions and methods.
  const std::pair<const char*, const char*> comparison_aliases[] = {
      {"greater", "gt"}, {"greater_equal", "ge"}, {"less", "lt"}, {"less_equal", "le"}, {"not_equal", "ne"}};
  for (const auto& [alias, name] : comparison_aliases) {
    m.attr(alias) = m.attr(name);
    cls.attr(alias) = cls.attr(name);
    exported.append(alias);
  }
#undef EMBER_DEF_BINARY
#undef EMBER_DEF_COMPARISON
#undef EMBER_DEF_LOGICAL
  def_composites(m, cls, exported);
  m.attr("__all__") = exported;

  m.def("where", [](const Tensor& c, py::handle a, py::handle b) {
    auto ta = as_tensor(a), tb = as_tensor(b);
    return where(c, as_operand(a, "where", tb ? *tb : Tensor()), as_operand(b, "where", ta ? *ta : Tensor()));
  });
  m.def("clamp", &clamp_any, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def("clip", &clamp_any, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
}

}  // namespace ember::bindings
