// The activations with parameters (ELU, SELU's formula, softplus, hardtanh) as _C functions;
// ember.nn.functional gives them PyTorch's signatures and in-place forms.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_activation(py::module_& m, PyTensor& /*cls*/) {
  m.def("elu", [](const Tensor& x, double alpha, double scale, double input_scale) {
    return elu(x, alpha, scale, input_scale);
  }, py::arg("input"), py::arg("alpha") = 1.0, py::arg("scale") = 1.0, py::arg("input_scale") = 1.0);
  m.def("softplus", [](const Tensor& x, double beta, double threshold) { return softplus(x, beta, threshold); },
        py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def("hardtanh", [](const Tensor& x, double min_val, double max_val) { return hardtanh(x, min_val, max_val); },
        py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
}

}  // namespace ember::bindings
