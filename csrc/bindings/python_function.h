// ember.autograd.Function: a backward written in Python, run by the native engine as a Node.
#pragma once
#include "bindings/bindings.h"

namespace ember::bindings {

// Binds FunctionCtx and _function_apply, then the autograd extras below.
void init_python_function(py::module_& m);
// Anomaly mode, saved-tensor hooks, RNG state and allocator statistics (init_autograd_extras.cpp).
void init_autograd_extras(py::module_& m);

}  // namespace ember::bindings
