// softmax/log_softmax and the losses. ember.nn.functional gives the losses PyTorch's signatures.
// All let the GIL go when their input is large (Note [Releasing the GIL], gil.h).
#include "bindings/bindings.h"
#include "bindings/gil.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {
Tensor softmax_fn(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return without_gil_for(x, [&] { return softmax(dtype ? to_dtype(x, *dtype) : x, dim); });
}
Tensor log_softmax_fn(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return without_gil_for(x, [&] { return log_softmax(dtype ? to_dtype(x, *dtype) : x, dim); });
}
}  // namespace

void init_nn_ops(py::module_& m, PyTensor& cls) {
  cls.def("softmax", &softmax_fn, py::arg("dim"), py::arg("dtype") = py::none());
  cls.def("log_softmax", &log_softmax_fn, py::arg("dim"), py::arg("dtype") = py::none());
  m.def("softmax", &softmax_fn, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("log_softmax", &log_softmax_fn, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());

  m.def("cross_entropy", [](const Tensor& input, const Tensor& target, const std::string& reduction,
                            int64_t ignore_index, double label_smoothing) {
    auto r = parse_reduction("cross_entropy", reduction);
    return without_gil_for(input, [&] { return cross_entropy(input, target, r, ignore_index, label_smoothing); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("ignore_index") = -100,
     py::arg("label_smoothing") = 0.0);
  m.def("mse_loss", [](const Tensor& input, const Tensor& target, const std::string& reduction) {
    auto r = parse_reduction("mse_loss", reduction);
    return without_gil_for(input, [&] { return mse_loss(input, target, r); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("binary_cross_entropy_with_logits", [](const Tensor& input, const Tensor& target, const std::string& reduction) {
    auto r = parse_reduction("binary_cross_entropy_with_logits", reduction);
    return without_gil_for(input, [&] { return binary_cross_entropy_with_logits(input, target, r); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("l1_loss", [](const Tensor& input, const Tensor& target, const std::string& reduction) {
    auto r = parse_reduction("l1_loss", reduction);
    return without_gil_for(input, [&] { return l1_loss(input, target, r); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("smooth_l1_loss", [](const Tensor& input, const Tensor& target, const std::string& reduction, double beta) {
    auto r = parse_reduction("smooth_l1_loss", reduction);
    return without_gil_for(input, [&] { return smooth_l1_loss(input, target, r, beta); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("beta") = 1.0);
  m.def("huber_loss", [](const Tensor& input, const Tensor& target, const std::string& reduction, double delta) {
    auto r = parse_reduction("huber_loss", reduction);
    return without_gil_for(input, [&] { return huber_loss(input, target, r, delta); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("delta") = 1.0);
  m.def("binary_cross_entropy", [](const Tensor& input, const Tensor& target, const std::string& reduction) {
    auto r = parse_reduction("binary_cross_entropy", reduction);
    return without_gil_for(input, [&] { return binary_cross_entropy(input, target, r); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  // 'batchmean' is the sum divided by the batch size in nn.functional.kl_div.
  m.def("kl_div", [](const Tensor& input, const Tensor& target, const std::string& reduction, bool log_target) {
    auto r = parse_reduction("kl_div", reduction);
    return without_gil_for(input, [&] { return kl_div(input, target, r, log_target); });
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("log_target") = false);
}

}  // namespace ember::bindings
