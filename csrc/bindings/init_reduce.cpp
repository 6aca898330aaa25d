// Reductions: sum, mean, var/std, max/min, argmax/argmin.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {
// dim=None means every dim; an int or a tuple of ints otherwise.
DimList dims_arg(const char* op, py::handle dim) {
  if (dim.is_none()) return {};
  return int_list(op, dim);
}
}  // namespace

void init_reduce(py::module_& m, PyTensor& cls) {
  auto sum_fn = [](const Tensor& t, py::object dim, bool keepdim, std::optional<DType> dtype) {
    return sum(t, dims_arg("sum", dim), keepdim, dtype);
  };
  cls.def("sum", sum_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = py::none());
  m.def("sum", sum_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none());
}

}  // namespace ember::bindings
