// The one extension module, ember._C: error translation, then each area's bindings.
#include "bindings/bindings.h"
#include "bindings/python_function.h"
#include "core/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ember::bindings {
namespace {

// Note [Out-of-memory error type]: PyTorch raises a RuntimeError when memory runs out (on the
// CPU a plain one, on CUDA torch.OutOfMemoryError, a RuntimeError subclass). ember's
// OutOfMemoryError is both a RuntimeError and a MemoryError, so code written against PyTorch
// (except RuntimeError) and code that expects Python's own type both catch it.
PyObject* out_of_memory_error = nullptr;

void make_out_of_memory_error(py::module_& m) {
  py::tuple bases = py::make_tuple(py::handle(PyExc_RuntimeError), py::handle(PyExc_MemoryError));
  out_of_memory_error = PyErr_NewException("ember.OutOfMemoryError", bases.ptr(), nullptr);
  if (!out_of_memory_error) throw py::error_already_set();
  m.attr("OutOfMemoryError") = py::reinterpret_borrow<py::object>(out_of_memory_error);
}

void translate_errors() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyObject* type = PyExc_RuntimeError;
      switch (e.kind()) {
        case ErrorKind::Value: type = PyExc_ValueError; break;
        case ErrorKind::Type: type = PyExc_TypeError; break;
        case ErrorKind::Index: type = PyExc_IndexError; break;
        case ErrorKind::Memory: type = out_of_memory_error; break;
        case ErrorKind::NotImplemented: type = PyExc_NotImplementedError; break;
        case ErrorKind::Runtime: type = PyExc_RuntimeError; break;
      }
      PyErr_SetString(type, e.what());
    }
  });
}

}  // namespace
}  // namespace ember::bindings

PYBIND11_MODULE(_C, m) {
  using namespace ember::bindings;
  m.doc() = "ember's native core: tensors, ops, kernels and the autograd engine";
  make_out_of_memory_error(m);
  translate_errors();
  init_types(m);
  PyTensor cls(m, "TensorBase");
  init_tensor(m, cls);
  init_math(m, cls);
  init_activation(m, cls);
  init_autograd(m, cls);
  init_factory(m, cls);
  init_reduce(m, cls);
  init_sort(m, cls);
  init_nn_ops(m, cls);
  init_conv(m);
  init_linalg(m, cls);
  init_index(m, cls);
  init_nn_layers(m, cls);
  init_optim(m, cls);
  init_cuda(m, cls);
  init_python_function(m);
  init_cpu(m);
  init_out(m, cls);
  init_dlpack(m, cls);
  init_profiler(m);
  init_nccl(m);
  m.def("_build_info", []() {
    py::dict info;
    info["compiler"] = EMBER_BUILD_COMPILER;
    info["native_arch"] = static_cast<bool>(EMBER_BUILD_NATIVE_ARCH);
    info["openmp"] = static_cast<bool>(EMBER_BUILD_OPENMP);
#ifdef EMBER_WITH_CUDA
    info["cuda"] = true;
#ifdef EMBER_CUDA_EMULATED
    info["cuda_emulated"] = true;  // EMBER_CUDA=EMU (Note [The emulated device])
#else
    info["cuda_emulated"] = false;
#endif
#else
    info["cuda_emulated"] = false;
    info["cuda"] = false;
#endif
#ifdef _OPENMP
    info["threads"] = omp_get_max_threads();
#else
    info["threads"] = 1;
#endif
    return info;
  });
}
