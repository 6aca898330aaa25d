// What ember.nn needs from the native side: the Tensor constructor that nn.Parameter builds on,
// the fused linear ops, GELU / leaky ReLU and dropout.
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

Tensor optional_tensor(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

bool gelu_tanh_form(const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", Runtime,
              "[gelu] approximate argument must be either none or tanh, got '", approximate, "'");
  return approximate == "tanh";
}

}  // namespace

void init_nn_layers(py::module_& m, PyTensor& cls) {
  // Note [Parameter construction]: Tensor(data, requires_grad) is a new leaf TensorImpl over
  // data's storage (as torch.Tensor(tensor) aliases its argument). A Python subclass such as
  // nn.Parameter calls it from __init__, so the instance is the subclass and holds its own impl;
  // ops that hand that impl back (requires_grad_, in-place ops) return the same Parameter object.
  cls.def(py::init([](const Tensor& data, bool requires_grad) {
    Tensor t = detach(data);
    t->set_requires_grad(requires_grad);
    return t.impl();
  }), py::arg("data"), py::arg("requires_grad") = false);

  // The GEMMs let the GIL go (Note [Releasing the GIL], gil.h).
  m.def("linear", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) {
    return linear(x, w, optional_tensor(b));
  }, NoGil(), py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("linear_relu", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) {
    return linear_relu(x, w, optional_tensor(b));
  }, NoGil(), py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("gelu", [](const Tensor& x, const std::string& approximate) { return gelu(x, gelu_tanh_form(approximate)); },
        py::arg("input"), py::arg("approximate") = "none");
  m.def("leaky_relu", [](const Tensor& x, double slope) { return leaky_relu(x, slope); },
        py::arg("input"), py::arg("negative_slope") = 0.01);
  m.def("dropout", [](const Tensor& x, double p, bool train) { return dropout(x, p, train); },
        py::arg("input"), py::arg("p") = 0.5, py::arg("train") = true);
}

}  // namespace ember::bindings
