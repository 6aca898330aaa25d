// Factories and random numbers, and the default dtype they make floats in. The Python wrappers
// in ember/factories.py parse *size, dtype=, device= and requires_grad= and call these.
#include <random>

#include "bindings/bindings.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

// A seed as torch takes it: a Python int in [-2**63, 2**64), negative ones wrapped to 2**64 + seed.
uint64_t seed_from(py::handle h) {
  if (!PyLong_Check(h.ptr()) || PyBool_Check(h.ptr()))
    throw py::type_error(std::string("manual_seed expected a long, but got ") +
                         std::string(py::str(py::type::of(h).attr("__name__"))));
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
  if (overflow < 0) throw py::value_error("[manual_seed] Overflow when unpacking long long: seeds are at least -2**63");
  if (overflow == 0) return static_cast<uint64_t>(v);
  unsigned long long u = PyLong_AsUnsignedLongLong(h.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error("[manual_seed] Overflow when unpacking long long: seeds are below 2**64");
  }
  return u;
}

// get_state()/set_state() carry (seed, offset) as a 2-element int64 tensor, opaque as torch's is.
Tensor state_tensor(const Generator& g) {
  auto [seed, offset] = g.state();
  Tensor t = empty({2}, DType::Int64);
  t.data<int64_t>()[0] = static_cast<int64_t>(seed);
  t.data<int64_t>()[1] = static_cast<int64_t>(offset);
  return t;
}

void set_state_from(Generator& g, const Tensor& t) {
  EMBER_CHECK(t.dtype() == DType::Int64 && t.numel() == 2 && t.device().is_cpu(), Type,
              "[set_state] expected the 2-element int64 CPU tensor that get_state() returns, got ",
              dtype_name(t.dtype()), " of shape ", shape_str(t.sizes()), " on ", t.device().str());
  Tensor c = contiguous(t);
  g.set_state(static_cast<uint64_t>(c.data<int64_t>()[0]), static_cast<uint64_t>(c.data<int64_t>()[1]));
}

// ember.Generator (as torch.Generator) and ember.default_generator, the one manual_seed seeds.
void init_generator(py::module_& m) {
  using GeneratorPtr = std::shared_ptr<Generator>;
  py::class_<Generator, GeneratorPtr>(m, "Generator")
      .def(py::init([](Device device) { return std::make_shared<Generator>(device); }),
           py::arg("device") = Device{})
      .def_property_readonly("device", &Generator::device)
      .def("manual_seed", [](GeneratorPtr g, py::handle seed) { g->manual_seed(seed_from(seed)); return g; })
      .def("initial_seed", &Generator::initial_seed)
      .def("seed", [](Generator& g) {  // a fresh nondeterministic seed, as torch.Generator.seed()
        std::random_device rd;
        uint64_t s = (static_cast<uint64_t>(rd()) << 32 | rd()) & 0x7FFFFFFFFFFFFFFFull;
        g.manual_seed(s);
        return s;
      })
      .def("get_state", &state_tensor)
      .def("set_state", [](GeneratorPtr g, const Tensor& t) { set_state_from(*g, t); return g; })
      .def("__repr__", [](const Generator& g) { return "<ember.Generator on " + g.device().str() + ">"; });
  // Held without ownership: the default generator lives as long as the process.
  m.attr("default_generator") = GeneratorPtr(&default_generator(), [](Generator*) {});
}

}  // namespace

void init_factory(py::module_& m, PyTensor& cls) {
  // ember.get_default_dtype / set_default_dtype (python/ember/__init__.py): Note [Default dtype].
  m.def("_get_default_dtype", []() { return default_dtype(); });
  m.def("_set_default_dtype", [](DType d) { set_default_dtype(d); });
  m.def("_zeros", [](const Shape& s, DType d, Device dev) { return zeros(s, d, dev); });
  m.def("_ones", [](const Shape& s, DType d, Device dev) { return ones(s, d, dev); });
  m.def("_full", [](const Shape& s, py::handle v, DType d, Device dev) {
    auto sc = as_scalar(v);
    if (!sc) throw py::type_error("[full] fill_value must be a number");
    check_fits("full", *sc, d);
    return full(s, *sc, d, dev);
  });
  m.def("_arange", [](double a, double b, double step, DType d, Device dev) { return arange(a, b, step, d, dev); });
  m.def("_linspace", [](double a, double b, int64_t n, DType d, Device dev) { return linspace(a, b, n, d, dev); });
  m.def("_eye", [](int64_t n, int64_t k, DType d, Device dev) { return eye(n, k, d, dev); });
  // Random factories: `gen` is an ember.Generator or None (the default generator).
  m.def("_rand", [](const Shape& s, DType d, Device dev, Generator* g) { return rand(s, d, dev, g); });
  m.def("_randn", [](const Shape& s, DType d, Device dev, Generator* g) { return randn(s, d, dev, g); });
  m.def("_randint", [](int64_t lo, int64_t hi, const Shape& s, DType d, Device dev, Generator* g) {
    return randint(lo, hi, s, d, dev, g);
  });
  m.def("_randperm", [](int64_t n, Device dev, Generator* g) { return randperm(n, dev, g); });
  init_generator(m);
  cls.def("uniform_", [](Tensor& t, double a, double b, Generator* g) -> Tensor& { uniform_(t, a, b, g); return t; },
          py::arg("a") = 0.0, py::arg("b") = 1.0, py::kw_only(), py::arg("generator") = py::none());
  cls.def("normal_", [](Tensor& t, double mean, double std, Generator* g) -> Tensor& { normal_(t, mean, std, g); return t; },
          py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace ember::bindings
