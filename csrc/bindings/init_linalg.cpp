// matmul and friends: Python operators, methods and module functions.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_linalg(py::module_& m, PyTensor& cls) {
  cls.def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); })
      .def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); })
      .def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); })
      .def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); });
  m.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); });
  m.def("mm", [](const Tensor& a, const Tensor& b) { return mm(a, b); });
  m.def("bmm", [](const Tensor& a, const Tensor& b) { return bmm(a, b); });
}

}  // namespace ember::bindings
