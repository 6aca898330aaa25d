// matmul and friends: Python operators, methods and module functions. All let the GIL go
// (Note [Releasing the GIL], gil.h).
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_linalg(py::module_& m, PyTensor& cls) {
  cls.def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, NoGil())
      .def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, NoGil())
      .def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); }, NoGil())
      .def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); }, NoGil());
  m.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, NoGil());
  m.def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); }, NoGil());
  m.def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); }, NoGil());
}

}  // namespace ember::bindings
