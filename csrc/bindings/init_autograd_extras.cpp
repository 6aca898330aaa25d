// Debugging and memory tools of autograd from Python: anomaly mode, saved-tensor hooks (used by
// utils.checkpoint), the RNG state as (seed, offset), and the CPU allocator's byte counters.
#include <pybind11/stl.h>

#include "autograd/anomaly.h"
#include "autograd/saved_tensor.h"
#include "bindings/gil.h"
#include "bindings/python_function.h"
#include "ops/ops.h"

namespace ember::bindings {

namespace {

std::string python_stack() {
  py::gil_scoped_acquire gil;
  py::list frames = py::module_::import("traceback").attr("format_stack")();
  std::string out;
  for (py::handle f : frames) out += py::str(f).cast<std::string>();
  return out;
}

void python_warn(const std::string& msg) {
  py::gil_scoped_acquire gil;
  if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) != 0) throw py::error_already_set();
}

}  // namespace

void init_autograd_extras(py::module_& m) {
  autograd::set_anomaly_stack_capture(&python_stack);
  autograd::set_anomaly_warning_handler(&python_warn);
  m.def("_set_detect_anomaly", [](bool on, bool check_nan) { autograd::AnomalyMode::set_enabled(on, check_nan); },
        py::arg("mode"), py::arg("check_nan") = true);
  m.def("is_anomaly_enabled", &autograd::AnomalyMode::is_enabled);
  m.def("is_anomaly_check_nan_enabled", &autograd::AnomalyMode::should_check_nan);

  // pack(tensor) -> anything; unpack(that) -> tensor. See Note [Saved tensor hooks].
  m.def("_push_saved_tensors_hooks", [](py::function pack, py::function unpack) {
    SharedPyObject pack_fn = share(pack), unpack_fn = share(unpack);
    autograd::push_saved_tensor_hooks([pack_fn, unpack_fn](const Tensor& t) -> autograd::SavedUnpacker {
      py::gil_scoped_acquire gil;
      SharedPyObject packed = share((*pack_fn)(t));
      return [unpack_fn, packed]() -> Tensor {
        py::gil_scoped_acquire gil;
        py::object r = (*unpack_fn)(*packed);
        auto out = as_tensor(r);
        if (!out) throw py::type_error("[saved_tensors_hooks] unpack_hook must return a Tensor, got " +
                                       std::string(py::str(py::type::of(r).attr("__name__"))));
        return *out;
      };
    });
  });
  m.def("_pop_saved_tensors_hooks", &autograd::pop_saved_tensor_hooks);

  m.def("_get_rng_state", []() { return get_rng_state(); }, "(seed, offset) of the default generator");
  m.def("_set_rng_state", [](std::pair<uint64_t, uint64_t> s) { set_rng_state(s.first, s.second); });

  m.def("_memory_stats", []() {
    MemoryStats s = cpu_memory_stats();
    py::dict d;
    d["current"] = s.current;
    d["peak"] = s.peak;
    return d;
  }, "bytes of CPU tensor storage alive now and at most since the last reset");
  m.def("_reset_peak_memory_stats", &reset_peak_cpu_memory);
}

}  // namespace ember::bindings
