// Factories and random numbers. The Python wrappers in ember/factories.py parse *size,
// dtype=, device= and requires_grad= and call these.
#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

void init_factory(py::module_& m, PyTensor& cls) {
  m.def("_zeros", [](const Shape& s, DType d, Device dev) { return zeros(s, d, dev); });
  m.def("_ones", [](const Shape& s, DType d, Device dev) { return ones(s, d, dev); });
  m.def("_full", [](const Shape& s, py::handle v, DType d, Device dev) {
    auto sc = as_scalar(v);
    if (!sc) throw py::type_error("[full] fill_value must be a number");
    return full(s, *sc, d, dev);
  });
  m.def("_arange", [](double a, double b, double step, DType d, Device dev) { return arange(a, b, step, d, dev); });
  m.def("_linspace", [](double a, double b, int64_t n, DType d, Device dev) { return linspace(a, b, n, d, dev); });
  m.def("_eye", [](int64_t n, int64_t k, DType d, Device dev) { return eye(n, k, d, dev); });
  m.def("_rand", [](const Shape& s, DType d, Device dev) { return rand(s, d, dev); });
  m.def("_randn", [](const Shape& s, DType d, Device dev) { return randn(s, d, dev); });
  m.def("_randint", [](int64_t lo, int64_t hi, const Shape& s, DType d, Device dev) { return randint(lo, hi, s, d, dev); });
  m.def("randperm", [](int64_t n, Device dev) { return randperm(n, dev); }, py::arg("n"), py::arg("device") = Device{});
  m.def("_randperm_from", [](int64_t n, uint64_t seed, uint64_t first) { return randperm_from(n, seed, first); });
  m.def("manual_seed", [](int64_t seed) { manual_seed(static_cast<uint64_t>(seed)); });
  m.def("initial_seed", []() { return initial_seed(); });
  cls.def("uniform_", [](Tensor& t, double a, double b) -> Tensor& { uniform_(t, a, b); return t; },
          py::arg("a") = 0.0, py::arg("b") = 1.0);
  cls.def("normal_", [](Tensor& t, double mean, double std) -> Tensor& { normal_(t, mean, std); return t; },
          py::arg("mean") = 0.0, py::arg("std") = 1.0);
}

}  // namespace ember::bindings
