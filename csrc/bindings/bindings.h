// pybind11 glue only: each init_*.cpp binds one area and holds no logic of its own.
// The bound class `_C.TensorBase` is TensorImpl held by shared_ptr; Python's `ember.Tensor`
// (python/ember/tensor.py) subclasses it and holds the Python-level methods. The caster below lets
// bound functions take and return ember::Tensor directly (an undefined Tensor is None); a
// returned tensor is made an ember.Tensor (see Note [Tensors surface as ember.Tensor]), and
// returning the same impl again gives back the same Python object while it is alive.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "core/tensor.h"

namespace py = pybind11;

namespace ember::bindings {
// The Python object for t: the one already alive for its impl, else a new ember.Tensor (init_tensor.cpp).
py::handle wrap_tensor(const Tensor& t);
// The two classes nearly every tensor argument is exactly: _C.TensorBase, and ember.Tensor once
// registered (init_tensor.cpp sets them). The caster reads those directly; pybind11's generic path
// would look a subclass up in its type registry on every call.
inline PyTypeObject* tensor_base_type = nullptr;
inline PyTypeObject* tensor_python_type = nullptr;
}  // namespace ember::bindings

namespace pybind11::detail {
template <>
struct type_caster<ember::Tensor> {
  PYBIND11_TYPE_CASTER(ember::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    PyTypeObject* type = Py_TYPE(src.ptr());
    if (type == ember::bindings::tensor_python_type || type == ember::bindings::tensor_base_type) {
      value_and_holder v_h(reinterpret_cast<instance*>(src.ptr()), nullptr, 0, 0);  // one bound base: simple layout
      if (v_h.holder_constructed()) {
        value = ember::Tensor(v_h.holder<std::shared_ptr<ember::TensorImpl>>());
        return true;
      }
    }
    if (src.is_none()) return false;
    copyable_holder_caster<ember::TensorImpl, std::shared_ptr<ember::TensorImpl>> inner;
    if (!inner.load(src, convert)) return false;
    value = ember::Tensor(static_cast<std::shared_ptr<ember::TensorImpl>>(inner));
    return true;
  }
  static handle cast(const ember::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    return ember::bindings::wrap_tensor(t);
  }
};
}  // namespace pybind11::detail

namespace ember::bindings {

// The bound class _C.TensorBase, which each init_* file adds its Tensor methods to.
using PyTensor = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// Conversions shared by the init_* files (convert.cpp).
std::optional<Tensor> as_tensor(py::handle h);   // an ember.Tensor, or nothing
std::optional<Scalar> as_scalar(py::handle h);   // a Python/NumPy bool, int or float, or nothing
// Sizes given as f(2, 3), f((2, 3)) or f([2, 3]).
Shape shape_from_args(const char* op, const py::args& args);
std::vector<int64_t> int_list(const char* op, py::handle h);  // an int or a sequence of ints

void init_types(py::module_& m);
void init_tensor(py::module_& m, PyTensor& cls);
void init_math(py::module_& m, PyTensor& cls);
void init_activation(py::module_& m, PyTensor& cls);
void init_autograd(py::module_& m, PyTensor& cls);
void init_factory(py::module_& m, PyTensor& cls);
void init_reduce(py::module_& m, PyTensor& cls);
void init_sort(py::module_& m, PyTensor& cls);
void init_nn_ops(py::module_& m, PyTensor& cls);
void init_conv(py::module_& m);
void init_linalg(py::module_& m, PyTensor& cls);
void init_index(py::module_& m, PyTensor& cls);
void init_nn_layers(py::module_& m, PyTensor& cls);
void init_optim(py::module_& m, PyTensor& cls);
void init_cuda(py::module_& m, PyTensor& cls);
void init_cpu(py::module_& m);
void init_out(py::module_& m, PyTensor& cls);
void init_dlpack(py::module_& m, PyTensor& cls);
void init_profiler(py::module_& m);
void init_nccl(py::module_& m);

}  // namespace ember::bindings
