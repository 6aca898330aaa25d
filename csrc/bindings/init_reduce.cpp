// Reductions: sum, mean, var/std, amax/amin, max/min, argmax/argmin, all/any, count_nonzero.
// Tensor.max/min (which return a (values, indices) pair with a dim) are finished in
// python/ember/_reductions.py on top of _max_all/_max_dim. A reduction of a large tensor lets the
// GIL go once its Python arguments are read (Note [Releasing the GIL], gil.h).
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {
// dim=None means every dim; an int or a tuple of ints otherwise.
DimList dims_arg(const char* op, py::handle dim) {
  if (dim.is_none()) return {};
  return int_list(op, dim);
}

// PyTorch's var/std take `unbiased` (bool, also positionally in the place of dim) or `correction`.
double correction_arg(const char* op, py::object& dim, py::object unbiased, py::object correction) {
  if (PyBool_Check(dim.ptr())) {
    EMBER_CHECK(unbiased.is_none(), Type, "[", op, "] got `unbiased` twice");
    unbiased = dim;
    dim = py::none();
  }
  EMBER_CHECK(unbiased.is_none() || correction.is_none(), Type, "[", op,
              "] cannot specify both `unbiased` and `correction`");
  if (!correction.is_none()) return correction.cast<double>();
  return unbiased.is_none() || unbiased.cast<bool>() ? 1.0 : 0.0;
}

// PyTorch's all/any over dim=() reduce nothing (x != 0), where the ops (as sum, amax) read an
// empty dim list as every dim.
bool no_dims(py::handle dim) { return py::isinstance<py::sequence>(dim) && py::len(dim) == 0; }
Tensor is_nonzero(const Tensor& t) { return binary(BinaryOp::Ne, t, Scalar{0, ScalarKind::Int}); }

Tensor mean_fn(const Tensor& t, py::object dim, bool keepdim, std::optional<DType> dtype) {
  DimList dims = dims_arg("mean", dim);
  return without_gil_for(t, [&] { return mean(dtype ? to_dtype(t, *dtype) : t, dims, keepdim); });
}
// PyTorch's warning when the correction leaves no degrees of freedom (the result is inf or NaN):
// the reduction factor is the input's numel over the output's (0 for an empty output).
void warn_no_dof(const char* op, const Tensor& t, const DimList& dims, double correction) {
  int64_t reduced = 1, kept = 1;
  for (int64_t i = 0; i < t.dim(); ++i) {
    bool r = dims.empty();
    for (int64_t d : dims) r = r || wrap_dim(d, t.dim()) == i;
    (r ? reduced : kept) *= t.sizes()[i];
  }
  if (static_cast<double>(kept == 0 ? 0 : reduced) - correction > 0) return;
  std::string msg = std::string(op) + "(): degrees of freedom is <= 0. Correction should be strictly less than "
                    "the reduction factor (input numel divided by output numel).";
  if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
}

Tensor var_fn(const Tensor& t, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
  double c = correction_arg("var", dim, unbiased, correction);
  DimList dims = dims_arg("var", dim);
  Tensor out = without_gil_for(t, [&] { return var(t, dims, c, keepdim); });
  warn_no_dof("var", t, dims, c);
  return out;
}
Tensor std_fn(const Tensor& t, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
  double c = correction_arg("std", dim, unbiased, correction);
  DimList dims = dims_arg("std", dim);
  Tensor out = without_gil_for(t, [&] { return std_dev(t, dims, c, keepdim); });
  warn_no_dof("std", t, dims, c);
  return out;
}
}  // namespace

// PyTorch also takes NumPy's spellings of dim and keepdim (x.sum(1, keepdims=True), x.sum(axis=0)):
// each reduction is registered under both, the second tried when a call does not fit the first.
constexpr std::pair<const char*, const char*> kDimSpellings[] = {{"dim", "keepdim"}, {"axis", "keepdims"}};

void init_reduce(py::module_& m, PyTensor& cls) {
  auto sum_fn = [](const Tensor& t, py::object dim, bool keepdim, std::optional<DType> dtype) {
    DimList dims = dims_arg("sum", dim);
    return without_gil_for(t, [&] { return sum(t, dims, keepdim, dtype); });
  };
  auto amax_fn = [](const Tensor& t, py::object dim, bool keepdim) {
    DimList dims = dims_arg("amax", dim);
    return without_gil_for(t, [&] { return amax(t, dims, keepdim); });
  };
  auto amin_fn = [](const Tensor& t, py::object dim, bool keepdim) {
    DimList dims = dims_arg("amin", dim);
    return without_gil_for(t, [&] { return amin(t, dims, keepdim); });
  };
  m.def("_logsumexp", [](const Tensor& t, py::object dim, bool keepdim) {
    DimList dims = dims_arg("logsumexp", dim);
    return without_gil_for(t, [&] { return logsumexp(t, dims, keepdim); });
  }, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  auto argmax_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
    return without_gil_for(t, [&] { return argmax(t, dim, keepdim); });
  };
  auto argmin_fn = [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
    return without_gil_for(t, [&] { return argmin(t, dim, keepdim); });
  };
  auto all_fn = [](const Tensor& t, py::object dim, bool keepdim) {
    if (no_dims(dim)) return is_nonzero(t);
    DimList dims = dims_arg("all", dim);
    return without_gil_for(t, [&] { return all(t, dims, keepdim); });
  };
  auto any_fn = [](const Tensor& t, py::object dim, bool keepdim) {
    if (no_dims(dim)) return is_nonzero(t);
    DimList dims = dims_arg("any", dim);
    return without_gil_for(t, [&] { return any(t, dims, keepdim); });
  };
  for (auto [dim, keepdim] : kDimSpellings) {
    for (auto [name, fn] : {std::pair{"sum", +sum_fn}, std::pair{"mean", &mean_fn}}) {
      cls.def(name, fn, py::arg(dim) = py::none(), py::arg(keepdim) = false, py::kw_only(),
              py::arg("dtype") = py::none());
      m.def(name, fn, py::arg("input"), py::arg(dim) = py::none(), py::arg(keepdim) = false, py::kw_only(),
            py::arg("dtype") = py::none());
    }
    for (auto [name, fn] : {std::pair{"var", &var_fn}, std::pair{"std", &std_fn}}) {
      cls.def(name, fn, py::arg(dim) = py::none(), py::arg("unbiased") = py::none(), py::arg(keepdim) = false,
              py::kw_only(), py::arg("correction") = py::none());
      m.def(name, fn, py::arg("input"), py::arg(dim) = py::none(), py::arg("unbiased") = py::none(),
            py::arg(keepdim) = false, py::kw_only(), py::arg("correction") = py::none());
    }
    for (auto [name, fn] : {std::pair{"amax", +amax_fn}, std::pair{"amin", +amin_fn}}) {
      cls.def(name, fn, py::arg(dim) = py::none(), py::arg(keepdim) = false);
      m.def(name, fn, py::arg("input"), py::arg(dim) = py::none(), py::arg(keepdim) = false);
    }
    for (auto [name, fn] : {std::pair{"all", +all_fn}, std::pair{"any", +any_fn}}) {
      cls.def(name, fn, py::arg(dim) = py::none(), py::arg(keepdim) = false);
      m.def(name, fn, py::arg("input"), py::arg(dim) = py::none(), py::arg(keepdim) = false);
    }
    for (auto [name, fn] : {std::pair{"argmax", +argmax_fn}, std::pair{"argmin", +argmin_fn}}) {
      cls.def(name, fn, py::arg(dim) = py::none(), py::arg(keepdim) = false);
      m.def(name, fn, py::arg("input"), py::arg(dim) = py::none(), py::arg(keepdim) = false);
    }
  }

  // count_nonzero takes a dim (or dims) but no keepdim, as PyTorch's.
  auto count_nonzero_fn = [](const Tensor& t, py::object dim) {
    DimList dims = dims_arg("count_nonzero", dim);
    return without_gil_for(t, [&] { return count_nonzero(t, dims, false); });
  };
  cls.def("count_nonzero", count_nonzero_fn, py::arg("dim") = py::none());
  m.def("count_nonzero", count_nonzero_fn, py::arg("input"), py::arg("dim") = py::none());

  m.def("_max_all", [](const Tensor& t) { return without_gil_for(t, [&] { return max_all(t); }); });
  m.def("_min_all", [](const Tensor& t) { return without_gil_for(t, [&] { return min_all(t); }); });
  m.def("_max_dim", [](const Tensor& t, int64_t dim, bool keepdim) {
    return without_gil_for(t, [&] { return max_dim(t, dim, keepdim); });
  });
  m.def("_min_dim", [](const Tensor& t, int64_t dim, bool keepdim) {
    return without_gil_for(t, [&] { return min_dim(t, dim, keepdim); });
  });
}

}  // namespace ember::bindings
