// The GIL around native work: which calls let it go, and how Python objects that native code
// keeps are held so that code without the GIL can copy, call and drop them.
//
// Note [Releasing the GIL]
// As in PyTorch, a native call that takes more than a few microseconds lets the GIL go, so two
// Python threads can train two models at once: the GEMM entry points (matmul, mm, bmm, linear),
// conv2d and the pools, backward and autograd.grad, the optimizer steps and the grad-norm helpers
// of clip_grad_norm_; the reductions, softmax and the losses when their input is large enough to
// be worth it (kReleaseGilElements). Elementwise ops, views and factories keep it: on the small
// tensors they mostly see, dropping and retaking the GIL would cost more than the op. The rules:
// 1. Let go only once every Python argument is converted. pybind11 converts the arguments before
//    a py::call_guard<py::gil_scoped_release> (`NoGil` below) takes effect, so a binding whose
//    parameters are all C++ types uses the guard; one that reads py::objects converts them first
//    and then calls without_gil(). The result is converted to Python after the GIL is back.
// 2. Native code that may run without the GIL and calls into Python takes the GIL first:
//    PyNode::apply / release_variables / ~PyNode (python_function.cpp), Python tensor hooks and
//    post-accumulate hooks (init_autograd.cpp), saved-tensor hooks, anomaly mode's stack capture
//    and warnings (init_autograd_extras.cpp), the storage deleter of a from_numpy tensor.
// 3. A Python object kept inside a native structure (a hook on a node or a tensor) is copied and
//    destroyed by the engine without the GIL, and Py_INCREF/Py_DECREF without it race with other
//    threads. Such objects are held as a SharedPyObject: copies only touch the shared_ptr's atomic
//    count, and the last owner takes the GIL to drop the Python reference.
// 4. Exceptions: ember::Error is plain C++, translated after the call returns with the GIL back;
//    a py::error_already_set made inside a callback takes the GIL itself when it is freed.
// Global state the backward pass reads is thread-safe as PyTorch's is: grad mode and saved-tensor
// hooks are per thread, anomaly mode is one process-wide atomic flag, node sequence numbers and
// hook ids come from atomics, and the task pool takes callers from several threads. Tensors that
// two threads write at once (a shared model updated by both) are the caller's to synchronize, as
// in PyTorch; ember's version counters are not atomic.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "bindings/bindings.h"

namespace ember::bindings {

using NoGil = py::call_guard<py::gil_scoped_release>;

// Runs f() with the GIL released (rule 1); f must not touch Python objects.
template <typename F>
decltype(auto) without_gil(F&& f) {
  py::gil_scoped_release no_gil;
  return std::forward<F>(f)();
}

// Reductions, softmax and the losses cost about a nanosecond per element, and letting the GIL go
// and taking it back about 50 ns: they release it from this many input elements on (a few
// microseconds of work). Below, x.sum() of a 4x4 tensor measured 0.47 -> 0.53 us with the release.
constexpr int64_t kReleaseGilElements = int64_t(1) << 14;

template <typename F>
decltype(auto) without_gil_if(bool release, F&& f) {
  std::optional<py::gil_scoped_release> no_gil;
  if (release) no_gil.emplace();
  return std::forward<F>(f)();
}

// f() with the GIL released when `t` is large enough to be worth it (see above).
template <typename F>
decltype(auto) without_gil_for(const Tensor& t, F&& f) {
  return without_gil_if(t.numel() >= kReleaseGilElements, std::forward<F>(f));
}

// A Python object that native code may copy or drop without the GIL (rule 3).
using SharedPyObject = std::shared_ptr<py::object>;

inline SharedPyObject share(py::object o) {
  return SharedPyObject(new py::object(std::move(o)), [](py::object* p) {
    if (!Py_IsInitialized()) return;  // at interpreter exit: leak rather than touch a dead interpreter
    py::gil_scoped_acquire gil;
    delete p;
  });
}

}  // namespace ember::bindings
