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

Tensor as_operand(py::handle h, const char* op) {
  if (auto t = as_tensor(h)) return *t;
  if (auto s = as_scalar(h)) return scalar_tensor(*s, s->kind == ScalarKind::Float ? DType::Float32
                                                   : s->kind == ScalarKind::Int ? DType::Int64 : DType::Bool);
  throw py::type_error(std::string("[") + op + "] expected a Tensor or a number, got " +
                       std::string(py::str(py::type::of(h).attr("__name__"))));
}

// `alpha` as in torch.add(a, b, alpha=2): a + alpha * b.
py::handle scaled(py::handle other, py::object alpha, py::object& keep) {
  if (alpha.is_none()) return other;
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

}  // namespace

void init_math(py::module_& m, PyTensor& cls) {
  cls.def("__add__", &forward_op<BinaryOp::Add>).def("__radd__", &reflected_op<BinaryOp::Add>)
      .def("__sub__", &forward_op<BinaryOp::Sub>).def("__rsub__", &reflected_op<BinaryOp::Sub>)
      .def("__mul__", &forward_op<BinaryOp::Mul>).def("__rmul__", &reflected_op<BinaryOp::Mul>)
      .def("__truediv__", &forward_op<BinaryOp::Div>).def("__rtruediv__", &reflected_op<BinaryOp::Div>)
      .def("__pow__", &forward_op<BinaryOp::Pow>).def("__rpow__", &reflected_op<BinaryOp::Pow>)
      .def("__eq__", &forward_op<BinaryOp::Eq>).def("__ne__", &forward_op<BinaryOp::Ne>)
      .def("__lt__", &forward_op<BinaryOp::Lt>).def("__le__", &forward_op<BinaryOp::Le>)
      .def("__gt__", &forward_op<BinaryOp::Gt>).def("__ge__", &forward_op<BinaryOp::Ge>)
      .def("__iadd__", &inplace_op<BinaryOp::Add>).def("__isub__", &inplace_op<BinaryOp::Sub>)
      .def("__imul__", &inplace_op<BinaryOp::Mul>).def("__itruediv__", &inplace_op<BinaryOp::Div>)
      .def("__neg__", [](const Tensor& t) { return neg(t); })
      .def("__pos__", [](const Tensor& t) { return t; })
      .def("__abs__", [](const Tensor& t) { return unary(UnaryOp::Abs, t); })
      .def("add", [](const Tensor& s, py::handle o, py::object alpha) {
        py::object keep;
        return forward_op<BinaryOp::Add>(s, scaled(o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none())
      .def("sub", [](const Tensor& s, py::handle o, py::object alpha) {
        py::object keep;
        return forward_op<BinaryOp::Sub>(s, scaled(o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none())
      .def("mul", &forward_op<BinaryOp::Mul>).def("div", &forward_op<BinaryOp::Div>)
      .def("pow", &forward_op<BinaryOp::Pow>)
      .def("maximum", [](const Tensor& a, const Tensor& b) { return binary(BinaryOp::Maximum, a, b); })
      .def("minimum", [](const Tensor& a, const Tensor& b) { return binary(BinaryOp::Minimum, a, b); })
      .def("eq", &forward_op<BinaryOp::Eq>).def("ne", &forward_op<BinaryOp::Ne>)
      .def("lt", &forward_op<BinaryOp::Lt>).def("le", &forward_op<BinaryOp::Le>)
      .def("gt", &forward_op<BinaryOp::Gt>).def("ge", &forward_op<BinaryOp::Ge>)
      .def("add_", [](Tensor& s, py::handle o, py::object alpha) -> Tensor& {
        py::object keep;
        return inplace_op<BinaryOp::Add>(s, scaled(o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none())
      .def("sub_", [](Tensor& s, py::handle o, py::object alpha) -> Tensor& {
        py::object keep;
        return inplace_op<BinaryOp::Sub>(s, scaled(o, alpha, keep));
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = py::none())
      .def("mul_", &inplace_op<BinaryOp::Mul>).def("div_", &inplace_op<BinaryOp::Div>)
      .def("pow_", &inplace_op<BinaryOp::Pow>)
      .def("zero_", [](Tensor& s) -> Tensor& { return copy_(s, zeros({}, s.dtype(), s.device())); })
      .def("fill_", [](Tensor& s, py::handle v) -> Tensor& { return copy_(s, as_operand(v, "fill_")); })
      .def("clamp", &clamp_any, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clip", &clamp_any, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clamp_", &clamp_any_, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clip_", &clamp_any_, py::arg("min") = py::none(), py::arg("max") = py::none());

  struct UnaryName { const char* name; UnaryOp op; };
  static const UnaryName unaries[] = {
      {"neg", UnaryOp::Neg},   {"exp", UnaryOp::Exp},   {"log", UnaryOp::Log},         {"tanh", UnaryOp::Tanh},
      {"sigmoid", UnaryOp::Sigmoid}, {"relu", UnaryOp::Relu}, {"sqrt", UnaryOp::Sqrt}, {"abs", UnaryOp::Abs},
      {"sin", UnaryOp::Sin},   {"cos", UnaryOp::Cos},   {"sign", UnaryOp::Sign}};
  for (const UnaryName& u : unaries) {
    UnaryOp op = u.op;
    cls.def(u.name, [op](const Tensor& t) { return unary(op, t); });
    cls.def((std::string(u.name) + "_").c_str(), [op](Tensor& t) -> Tensor& { return unary_(op, t); });
    m.def(u.name, [op](const Tensor& t) { return unary(op, t); });
  }

  m.def("add", [](py::handle a, py::handle b) { return binary(BinaryOp::Add, as_operand(a, "add"), as_operand(b, "add")); });
  m.def("sub", [](py::handle a, py::handle b) { return binary(BinaryOp::Sub, as_operand(a, "sub"), as_operand(b, "sub")); });
  m.def("mul", [](py::handle a, py::handle b) { return binary(BinaryOp::Mul, as_operand(a, "mul"), as_operand(b, "mul")); });
  m.def("div", [](py::handle a, py::handle b) { return binary(BinaryOp::Div, as_operand(a, "div"), as_operand(b, "div")); });
  m.def("pow", [](py::handle a, py::handle b) { return binary(BinaryOp::Pow, as_operand(a, "pow"), as_operand(b, "pow")); });
  m.def("maximum", [](const Tensor& a, const Tensor& b) { return binary(BinaryOp::Maximum, a, b); });
  m.def("minimum", [](const Tensor& a, const Tensor& b) { return binary(BinaryOp::Minimum, a, b); });
  m.def("where", [](const Tensor& c, py::handle a, py::handle b) {
    return where(c, as_operand(a, "where"), as_operand(b, "where"));
  });
  m.def("clamp", &clamp_any, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def("clip", &clamp_any, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
}

}  // namespace ember::bindings
