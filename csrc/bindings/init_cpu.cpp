// The CPU kernels' thread count (ember.set_num_threads / get_num_threads), and debug bindings for
// their runtime ISA choice (see Note [Runtime ISA dispatch]): tests force each available path with
// _set_cpu_isa and compare the results.
#include "bindings/bindings.h"
#include "core/error.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace ember::bindings {

namespace {
kernels::cpu::CpuIsa isa_from_name(const std::string& name) {
  using kernels::cpu::CpuIsa;
  for (CpuIsa isa : {CpuIsa::Portable, CpuIsa::Avx2, CpuIsa::Avx512})
    if (name == kernels::cpu::cpu_isa_name(isa)) return isa;
  fail(ErrorKind::Value, "[_set_cpu_isa] unknown ISA '", name, "' (expected portable, avx2 or avx512)");
}
}  // namespace

void init_cpu(py::module_& m) {
  m.def("get_num_threads", [] { return kernels::cpu::max_kernel_threads(); },
        "The number of threads ember's CPU kernels use (as torch.get_num_threads).");
  m.def("set_num_threads", [](int n) {
    EMBER_CHECK(n > 0, Runtime, "[set_num_threads] number of threads must be positive, got ", n);
    kernels::cpu::set_kernel_threads(n);
  }, py::arg("num_threads"), "Sets the number of threads ember's CPU kernels use (as torch.set_num_threads).");
  m.def("_cpu_isa", [] { return std::string(kernels::cpu::cpu_isa_name(kernels::cpu::cpu_isa())); });
  m.def("_detected_cpu_isa",
        [] { return std::string(kernels::cpu::cpu_isa_name(kernels::cpu::detected_cpu_isa())); });
  m.def("_set_cpu_isa", [](const std::string& name) {
    auto isa = isa_from_name(name);
    EMBER_CHECK(kernels::cpu::set_cpu_isa(isa), Value, "[_set_cpu_isa] this CPU does not support ", name,
                " (best: ", kernels::cpu::cpu_isa_name(kernels::cpu::detected_cpu_isa()), ")");
  });
}

}  // namespace ember::bindings
