// pybind11 glue only: each init_*.cpp binds one area and holds no logic of its own.
// Python's `ember.Tensor` is TensorImpl held by shared_ptr, so returning the same impl gives back
// the same Python object while it is alive; the caster below lets bound functions take and
// return ember::Tensor directly (an undefined Tensor is None).
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "core/tensor.h"

namespace py = pybind11;

namespace pybind11::detail {
template <>
struct type_caster<ember::Tensor> {
  PYBIND11_TYPE_CASTER(ember::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    if (src.is_none()) return false;
    copyable_holder_caster<ember::TensorImpl, std::shared_ptr<ember::TensorImpl>> inner;
    if (!inner.load(src, convert)) return false;
    value = ember::Tensor(static_cast<std::shared_ptr<ember::TensorImpl>>(inner));
    return true;
  }
  static handle cast(const ember::Tensor& t, return_value_policy policy, handle parent) {
    if (!t.defined()) return none().release();
    return type_caster<std::shared_ptr<ember::TensorImpl>>::cast(t.impl(), policy, parent);
  }
};
}  // namespace pybind11::detail

namespace ember::bindings {

using PyTensor = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// Conversions shared by the init_* files (convert.cpp).
std::optional<Tensor> as_tensor(py::handle h);   // an ember.Tensor, or nothing
std::optional<Scalar> as_scalar(py::handle h);   // a Python/NumPy bool, int or float, or nothing
// Sizes given as f(2, 3), f((2, 3)) or f([2, 3]).
Shape shape_from_args(const char* op, const py::args& args);
std::vector<int64_t> int_list(const char* op, py::handle h);  // an int or a sequence of ints
DType default_dtype();

void init_types(py::module_& m);
void init_tensor(py::module_& m, PyTensor& cls);
void init_math(py::module_& m, PyTensor& cls);
void init_autograd(py::module_& m, PyTensor& cls);
void init_factory(py::module_& m, PyTensor& cls);
void init_reduce(py::module_& m, PyTensor& cls);
void init_nn_ops(py::module_& m, PyTensor& cls);
void init_conv(py::module_& m);
void init_linalg(py::module_& m, PyTensor& cls);
void init_index(py::module_& m, PyTensor& cls);
void init_nn_layers(py::module_& m, PyTensor& cls);
void init_optim(py::module_& m, PyTensor& cls);
void init_cuda(py::module_& m, PyTensor& cls);
void init_cpu(py::module_& m);

}  // namespace ember::bindings
