#include "bindings/bindings.h"

namespace ember::bindings {

std::optional<Tensor> as_tensor(py::handle h) {
  py::detail::make_caster<Tensor> caster;
  if (!caster.load(h, false)) return std::nullopt;
  return py::detail::cast_op<Tensor>(caster);
}

std::optional<Scalar> as_scalar(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return Scalar{o == Py_True ? 1.0 : 0.0, ScalarKind::Bool};
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
      PyErr_SetString(PyExc_OverflowError, "int too big to convert (ember scalars are at most 64-bit)");
      throw py::error_already_set();
    }
    return Scalar{static_cast<double>(v), ScalarKind::Int};
  }
  if (PyFloat_Check(o)) return Scalar{PyFloat_AS_DOUBLE(o), ScalarKind::Float};
  // NumPy scalars (np.float32(2), np.int64(3), np.bool_) behave like Python numbers.
  py::object np_generic = py::module_::import("numpy").attr("generic");
  if (py::isinstance(h, np_generic)) {
    std::string kind = py::str(h.attr("dtype").attr("kind"));
    if (kind == "b") return Scalar{h.cast<bool>() ? 1.0 : 0.0, ScalarKind::Bool};
    if (kind == "i" || kind == "u") return Scalar{static_cast<double>(h.cast<long long>()), ScalarKind::Int};
    if (kind == "f") return Scalar{h.cast<double>(), ScalarKind::Float};
  }
  return std::nullopt;
}

std::vector<int64_t> int_list(const char* op, py::handle h) {
  if (PyLong_Check(h.ptr())) return {h.cast<int64_t>()};
  if (!py::isinstance<py::sequence>(h) || py::isinstance<py::str>(h))
    throw py::type_error(std::string("[") + op + "] expected an int or a sequence of ints, got " +
                         std::string(py::str(py::type::of(h).attr("__name__"))));
  std::vector<int64_t> out;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(h)) {
    if (!PyLong_Check(item.ptr()) && !py::hasattr(item, "__index__"))
      throw py::type_error(std::string("[") + op + "] expected a sequence of ints, got an element of type " +
                           std::string(py::str(py::type::of(item).attr("__name__"))));
    out.push_back(py::reinterpret_borrow<py::object>(item).cast<int64_t>());
  }
  return out;
}

Shape shape_from_args(const char* op, const py::args& args) {
  if (args.size() == 1 && !PyLong_Check(args[0].ptr())) return int_list(op, args[0]);
  Shape out;
  for (py::handle a : args) {
    if (!PyLong_Check(a.ptr()))
      throw py::type_error(std::string("[") + op + "] sizes must be ints, got " +
                           std::string(py::str(py::type::of(a).attr("__name__"))));
    out.push_back(a.cast<int64_t>());
  }
  return out;
}

}  // namespace ember::bindings
