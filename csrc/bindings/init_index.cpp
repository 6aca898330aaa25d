// Indexing and joining: x[...], x[...] = v, cat/stack/split/chunk, gather/index_select and the
// view methods select/narrow. Only the conversion of Python index objects lives here (the rest: ops/subscript.cpp).
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

std::string type_name(py::handle h) { return py::str(py::type::of(h).attr("__name__")); }

// A Python list, range or NumPy array used as an index is an int64 (or bool) tensor, as in PyTorch.
Tensor list_index(py::handle h) {
  py::object ember = py::module_::import("ember");
  if (py::len(h) == 0) return empty({0}, DType::Int64);
  Tensor t = ember.attr("tensor")(h).cast<Tensor>();
  if (t.dtype() != DType::Int64 && t.dtype() != DType::Bool)
    throw py::index_error("tensors used as indices must be long or bool tensors, got a list of " +
                          std::string(dtype_name(t.dtype())));
  return t;
}

TensorIndex to_index(py::handle h) {
  PyObject* o = h.ptr();
  if (o == Py_None) return TensorIndex::none();
  if (o == Py_Ellipsis) return TensorIndex::ellipsis();
  if (PySlice_Check(o)) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(o, &start, &stop, &step) < 0) throw py::error_already_set();
    return TensorIndex::range(start, stop, step);
  }
  if (auto t = as_tensor(h)) return TensorIndex::of(*t);
  // Before the integer test: an ndarray has __index__ (for its 0-d integer arrays only).
  if (py::isinstance(h, py::module_::import("numpy").attr("ndarray"))) return TensorIndex::of(list_index(h));
  if (PyBool_Check(o)) return TensorIndex::of(scalar_tensor(Scalar{o == Py_True ? 1.0 : 0.0, ScalarKind::Bool}, DType::Bool));
  if (PyLong_Check(o) || (!PyFloat_Check(o) && PyIndex_Check(o))) {
    return TensorIndex::integer(py::reinterpret_borrow<py::object>(h).cast<int64_t>());
  }
  if (PyList_Check(o)) return TensorIndex::of(list_index(h));
  if (PyRange_Check(o)) return TensorIndex::of(list_index(py::list(py::reinterpret_borrow<py::object>(h))));
  throw py::type_error("only integers, slices (`:`), ellipsis (`...`), None, lists, ranges, NumPy arrays and "
                       "int64 or bool tensors are valid indices (got " + type_name(h) + ")");
}

std::vector<TensorIndex> to_indices(py::handle key) {
  std::vector<TensorIndex> out;
  if (PyTuple_Check(key.ptr())) {
    for (py::handle item : py::reinterpret_borrow<py::tuple>(key)) out.push_back(to_index(item));
  } else {
    out.push_back(to_index(key));
  }
  return out;
}

py::tuple as_tuple(const tensor_list& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

py::tuple split_any(const Tensor& t, py::handle sizes, int64_t dim) {
  if (PyLong_Check(sizes.ptr())) return as_tuple(split(t, sizes.cast<int64_t>(), dim));
  return as_tuple(split_sizes(t, int_list("split", sizes), dim));
}

}  // namespace

void init_index(py::module_& m, PyTensor& cls) {
  cls.def("__getitem__", [](const Tensor& t, py::handle key) { return index(t, to_indices(key)); })
      .def("__setitem__", [](Tensor& t, py::handle key, py::handle value) {
        std::vector<TensorIndex> items = to_indices(key);
        if (auto v = as_tensor(value)) return index_put_(t, items, *v);
        if (auto s = as_scalar(value)) return index_put_(t, items, scalar_tensor(*s, t.dtype(), t.device()));
        throw py::type_error("[index_put_] can assign a Tensor or a number, got " + type_name(value));
      })
      .def("split", &split_any, py::arg("split_size"), py::arg("dim") = 0)
      .def("chunk", [](const Tensor& t, int64_t n, int64_t dim) { return as_tuple(chunk(t, n, dim)); },
           py::arg("chunks"), py::arg("dim") = 0)
      .def("gather", [](const Tensor& t, int64_t dim, const Tensor& idx) { return gather(t, dim, idx); },
           py::arg("dim"), py::arg("index"))
      .def("index_select", [](const Tensor& t, int64_t dim, const Tensor& idx) { return index_select(t, dim, idx); },
           py::arg("dim"), py::arg("index"))
      .def("scatter_add", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src) {
        return scatter_add(t, dim, idx, src);
      }, py::arg("dim"), py::arg("index"), py::arg("src"))
      .def("index_add", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src) {
        return index_add(t, dim, idx, src);
      }, py::arg("dim"), py::arg("index"), py::arg("source"))
      .def("scatter_reduce", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src,
                                const std::string& reduce, bool include_self) {
        return scatter_reduce(t, dim, idx, src, reduce, include_self);
      }, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(),
         py::arg("include_self") = true)
      .def("select", [](const Tensor& t, int64_t dim, int64_t i) { return select(t, dim, i); },
           py::arg("dim"), py::arg("index"))
      .def("narrow", [](const Tensor& t, int64_t dim, int64_t start, int64_t length) {
        return narrow(t, dim, start, length);
      }, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("nonzero", [](const Tensor& t) { return nonzero(t); });

  m.def("cat", [](const tensor_list& ts, int64_t dim) { return cat(ts, dim); }, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](const tensor_list& ts, int64_t dim) { return stack(ts, dim); }, py::arg("tensors"),
        py::arg("dim") = 0);
  m.def("split", &split_any, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  m.def("chunk", [](const Tensor& t, int64_t n, int64_t dim) { return as_tuple(chunk(t, n, dim)); },
        py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);
  m.def("gather", [](const Tensor& t, int64_t dim, const Tensor& idx) { return gather(t, dim, idx); },
        py::arg("input"), py::arg("dim"), py::arg("index"));
  m.def("index_select", [](const Tensor& t, int64_t dim, const Tensor& idx) { return index_select(t, dim, idx); },
        py::arg("input"), py::arg("dim"), py::arg("index"));
  m.def("scatter_add", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src) {
    return scatter_add(t, dim, idx, src);
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("scatter_reduce", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src,
                             const std::string& reduce, bool include_self) {
    return scatter_reduce(t, dim, idx, src, reduce, include_self);
  }, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(),
     py::arg("include_self") = true);
  // For the in-place index ops written in Python (_scatter_ops.py): Note [Overlapping in-place writes].
  m.def("_check_no_overlap", [](const std::string& op, const Tensor& self, const Tensor& input) {
    check_no_overlap(op.c_str(), self, input);
  });
  m.def("_scatter", [](const Tensor& t, int64_t dim, const Tensor& idx, const Tensor& src) {
    return scatter(t, dim, idx, src);
  });
  m.def("narrow", [](const Tensor& t, int64_t dim, int64_t start, int64_t length) {
    return narrow(t, dim, start, length);
  }, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("select", [](const Tensor& t, int64_t dim, int64_t i) { return select(t, dim, i); }, py::arg("input"),
        py::arg("dim"), py::arg("index"));
  m.def("nonzero", [](const Tensor& t) { return nonzero(t); });
}

}  // namespace ember::bindings
