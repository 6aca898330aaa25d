// ember.Tensor's native base, _C.TensorBase: layout, dtype/device, views, copies, NumPy interop;
// and the Python class every tensor surfaces as.
#include <pybind11/numpy.h>

#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

// Note [Tensors surface as ember.Tensor]: the Python-level methods live in a Python subclass,
// `class Tensor(_C.TensorBase)` (python/ember/tensor.py), which registers itself through
// _C._set_tensor_class once defined. From then on every tensor C++ hands to Python is created as
// an instance of that class, the way pybind11 creates one of the bound class (a new instance, its
// holder sharing the impl); a Python subclass declares `__slots__ = ()`, so the instance layout is
// the base's. A tensor that already has a Python object (a Parameter, say) gets that object back.
py::handle wrap_tensor(const Tensor& t) {
  namespace detail = py::detail;
  static const detail::type_info* base = detail::get_type_info(typeid(TensorImpl));
  void* impl = t.impl().get();
  // A live Python object holds a copy of the shared_ptr, so an impl that only t holds (a fresh
  // op result, the common case) has none, and the registry lookup can be skipped.
  if (t.impl().use_count() > 1)
    if (py::handle alive = detail::find_registered_python_instance(impl, base)) return alive;
  PyTypeObject* type = tensor_python_type ? tensor_python_type : tensor_base_type;
  auto obj = py::reinterpret_steal<py::object>(detail::make_new_instance(type));
  auto* inst = reinterpret_cast<detail::instance*>(obj.ptr());
  detail::values_and_holders(inst).begin()->value_ptr() = impl;
  inst->owned = true;
  base->init_instance(inst, &t.impl());  // the holder: a copy of t's shared_ptr
  return obj.release();
}

namespace {

void set_tensor_class(const py::type& cls) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  PyTypeObject* base_type = tensor_base_type;
  // Same layout as the base: nothing added to the instance, not even a (3.11+: managed) __dict__.
  constexpr unsigned long dict_flags =
#ifdef Py_TPFLAGS_MANAGED_DICT
      Py_TPFLAGS_MANAGED_DICT;
#else
      0;
#endif
  bool same_layout = type->tp_basicsize == base_type->tp_basicsize &&
                     type->tp_dictoffset == base_type->tp_dictoffset &&
                     (type->tp_flags & dict_flags) == (base_type->tp_flags & dict_flags);
  if (!PyType_IsSubtype(type, base_type) || !same_layout)
    throw py::type_error("[_set_tensor_class] expected a subclass of _C.TensorBase with __slots__ = (), got " +
                         std::string(py::str(cls)));
  Py_INCREF(type);  // held for the life of the process, as the class itself is
  Py_XDECREF(tensor_python_type);
  tensor_python_type = type;
}

py::tuple to_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return t;
}

// ember.Size (python/ember/size.py), a tuple subclass that registers itself here; `shape` and
// `size()` build one directly, as cheaply as a plain tuple.
PyTypeObject* size_python_type = nullptr;

py::object to_size(const Shape& s) {
  if (!size_python_type) return to_tuple(s);
  const auto n = static_cast<Py_ssize_t>(s.size());
  auto out = py::reinterpret_steal<py::object>(size_python_type->tp_alloc(size_python_type, n));
  if (!out) throw py::error_already_set();
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* v = PyLong_FromLongLong(s[static_cast<size_t>(i)]);
    if (!v) throw py::error_already_set();
    PyTuple_SET_ITEM(out.ptr(), i, v);
  }
  return out;
}

void set_size_class(const py::type& cls) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  if (!PyType_IsSubtype(type, &PyTuple_Type) || type->tp_basicsize != PyTuple_Type.tp_basicsize)
    throw py::type_error("[_set_size_class] expected a tuple subclass with __slots__ = (), got " +
                         std::string(py::str(cls)));
  Py_INCREF(type);
  Py_XDECREF(size_python_type);
  size_python_type = type;
}

py::object item(const Tensor& t_any) {
  EMBER_CHECK(t_any.numel() == 1, Runtime, "a Tensor with ", t_any.numel(), " elements cannot be converted to Scalar");
  // A CUDA value is read after a copy to the host (a sync).
  const Tensor t = t_any.device().is_cpu() ? t_any : to_device(detach(t_any), cpu_device());
  switch (t.dtype()) {
    case DType::Float32: return py::float_(*t.data<float>());
    case DType::Float64: return py::float_(*t.data<double>());
    case DType::Int64: return py::int_(*t.data<int64_t>());
    case DType::Int32: return py::int_(*t.data<int32_t>());
    case DType::Bool: return py::bool_(*t.data<bool>());
  }
  return py::none();
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Bool: return py::dtype::of<bool>();
  }
  return py::dtype::of<float>();
}

// Zero-copy: the array's base keeps the storage alive; writes through either side are shared.
py::array to_numpy(const Tensor& t) {
  EMBER_CHECK(!t.requires_grad(), Runtime,
              "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  EMBER_CHECK(t.device().is_cpu(), Type, "can't convert ", t.device().str(),
              " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * static_cast<py::ssize_t>(itemsize(t.dtype())));
  auto keep = new std::shared_ptr<void>(t->storage()->block());  // the block, which a resize_ may swap out
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<void>*>(p); });
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.raw_data(), base);
}

Tensor from_numpy(py::array a) {
  DType d;
  char kind = a.dtype().kind();
  size_t size = a.dtype().itemsize();
  if (kind == 'f' && size == 4) d = DType::Float32;
  else if (kind == 'f' && size == 8) d = DType::Float64;
  else if (kind == 'i' && size == 8) d = DType::Int64;
  else if (kind == 'i' && size == 4) d = DType::Int32;
  else if (kind == 'b') d = DType::Bool;
  else
    fail(ErrorKind::Type, "[from_numpy] can't convert np.ndarray of type numpy.",
         std::string(py::str(a.dtype())), ". The only supported types are: float64, float32, int64, int32 and bool.");
  EMBER_CHECK(a.ndim() <= kMaxDims, Value, "[from_numpy] at most ", kMaxDims, " dimensions are supported");
  Shape sizes, strides;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    sizes.push_back(a.shape(i));
    EMBER_CHECK(a.strides(i) % static_cast<py::ssize_t>(size) == 0 && a.strides(i) >= 0, Value,
                "[from_numpy] At least one stride in the given numpy array is negative or not a multiple "
                "of the element size; make a copy first (np.ascontiguousarray)");
    strides.push_back(a.strides(i) / static_cast<py::ssize_t>(size));
  }
  // The storage's deleter drops the reference to the array, so the memory lives while either does;
  // it may run without the GIL (a tensor freed in backward): Note [Releasing the GIL], gil.h.
  std::shared_ptr<void> data(const_cast<void*>(a.data()), [owner = share(a)](void*) mutable { owner.reset(); });
  int64_t span = 1;
  for (size_t i = 0; i < sizes.size(); ++i) span += (sizes[i] - 1) * strides[i];
  auto storage = std::make_shared<Storage>(std::move(data), static_cast<size_t>(span) * size, cpu_device());
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, sizes, strides, d));
}

}  // namespace

void init_tensor(py::module_& m, PyTensor& cls) {
  tensor_base_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  cls.def_property_readonly("shape", [](const Tensor& t) { return to_size(t.sizes()); })
      .def("size", [](const Tensor& t, std::optional<int64_t> dim) -> py::object {
        if (dim) return py::int_(t.size(*dim));
        return to_size(t.sizes());
      }, py::arg("dim") = py::none())
      .def("stride", [](const Tensor& t, std::optional<int64_t> dim) -> py::object {
        if (dim) return py::int_(t.strides()[existing_dim(*dim, t.dim())]);
        return to_tuple(t.strides());
      }, py::arg("dim") = py::none())
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
      .def_property_readonly("device", [](const Tensor& t) { return t.device(); })
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
      .def("dim", [](const Tensor& t) { return t.dim(); })
      .def("numel", [](const Tensor& t) { return t.numel(); })
      .def("nelement", [](const Tensor& t) { return t.numel(); })
      .def("element_size", [](const Tensor& t) { return itemsize(t.dtype()); })
      .def("is_contiguous", [](const Tensor& t) { return t.is_contiguous(); })
      .def("is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); })
      .def("storage_offset", [](const Tensor& t) { return t->offset(); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def_property_readonly("_version", [](const Tensor& t) { return t->version(); })
      // For writers outside ember's ops (ember.distributed's collectives write through NumPy views
      // and device pointers): the write counts as an in-place op for autograd's saved-tensor checks.
      .def("_bump_version", [](const Tensor& t) { t->bump_version(); })
      .def_property_readonly("_base", [](const Tensor& t) { return t->view_base(); })
      .def("_is_view", [](const Tensor& t) { return t->view_base().defined(); })
      .def("item", &item)
      .def("numpy", &to_numpy)
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      // copies and casts
      .def("contiguous", [](const Tensor& t) { return contiguous(t); })
      .def("clone", [](const Tensor& t) { return clone(t); })
      .def("_to_dtype", [](const Tensor& t, DType d) { return to_dtype(t, d); })
      .def("float", [](const Tensor& t) { return to_dtype(t, DType::Float32); })
      .def("double", [](const Tensor& t) { return to_dtype(t, DType::Float64); })
      .def("long", [](const Tensor& t) { return to_dtype(t, DType::Int64); })
      .def("int", [](const Tensor& t) { return to_dtype(t, DType::Int32); })
      .def("bool", [](const Tensor& t) { return to_dtype(t, DType::Bool); })
      .def("copy_", [](Tensor& t, const Tensor& src, bool non_blocking) { return copy_(t, src, non_blocking); },
           py::arg("src"), py::arg("non_blocking") = false)
      // views
      .def("view", [](const Tensor& t, py::args a) { return view(t, shape_from_args("view", a)); })
      .def("reshape", [](const Tensor& t, py::args a) { return reshape(t, shape_from_args("reshape", a)); })
      .def("view_as", [](const Tensor& t, const Tensor& o) { return view(t, o.sizes()); })
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return reshape(t, o.sizes()); })
      .def("expand", [](const Tensor& t, py::args a) { return expand(t, shape_from_args("expand", a)); })
      .def("expand_as", [](const Tensor& t, const Tensor& o) { return expand(t, o.sizes()); })
      .def("permute", [](const Tensor& t, py::args a) { return permute(t, shape_from_args("permute", a)); })
      .def("transpose", [](const Tensor& t, int64_t a, int64_t b) { return transpose(t, a, b); })
      .def("t", [](const Tensor& x) { return ember::t(x); })
      .def_property_readonly("T", [](const Tensor& x) {
        DimList rev;
        for (int64_t i = x.dim() - 1; i >= 0; --i) rev.push_back(i);
        return permute(x, rev);
      })
      .def_property_readonly("mT", [](const Tensor& x) { return transpose(x, -2, -1); })
      .def("squeeze", [](const Tensor& t, py::object d) {  // no dim, a dim or a tuple of dims
          return d.is_none() ? squeeze(t, std::nullopt) : squeeze(t, DimList(int_list("squeeze", d)));
        }, py::arg("dim") = py::none())
      .def("unsqueeze", [](const Tensor& t, int64_t d) { return unsqueeze(t, d); })
      .def("flatten", [](const Tensor& t, int64_t s, int64_t e) { return flatten(t, s, e); },
           py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("as_strided", &as_strided, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  m.def("as_strided", &as_strided, py::arg("input"), py::arg("size"), py::arg("stride"),
        py::arg("storage_offset") = py::none());

  m.def("_set_tensor_class", &set_tensor_class, py::arg("cls"),
        "Makes every tensor returned to Python an instance of cls (ember.Tensor; see tensor.py).");
  m.def("_set_size_class", &set_size_class, py::arg("cls"), "Makes Tensor.shape and size() return cls (ember.Size).");
  m.def("from_numpy", &from_numpy);
  m.def("_empty", [](const Shape& s, DType d, Device dev) { return empty(s, d, dev); });
}

}  // namespace ember::bindings
