// Note [One dispatch point per kernel family]
// Ops never call kernels::cpu or kernels::cuda directly: EMBER_DISPATCH_KERNEL(device, fn, args...)
// runs kernels::cpu::fn(args...) or its CUDA twin kernels::cuda::fn(args...) (one signature:
// Note [One declaration per kernel family] in kernels/twins.h) by the device of the op's output.
// The CPU test comes first and is one compare, so the CPU hot path costs what a direct call did.
// It is an expression with the kernel's result (nonzero_count returns its count). `device` is
// evaluated up to three times: pass a Device or a cheap accessor such as out.device(). A build without CUDA
// has no CUDA tensors (allocation refuses them), so there the CUDA branch is unreachable; it
// raises ember's "compiled without CUDA" error (cuda::check_device) rather than linking a twin
// that does not exist.
#pragma once
#include "core/cuda_backend.h"
#include "core/device.h"
#include "core/profiler.h"

#ifdef EMBER_WITH_CUDA
#define EMBER_CUDA_KERNEL_CALL_(device, fn, ...) \
  (::ember::cuda::use_device((device).index), ::ember::kernels::cuda::fn(__VA_ARGS__))
#else
#define EMBER_CUDA_KERNEL_CALL_(device, fn, ...) \
  ::ember::kernels::no_cuda_kernel<decltype(::ember::kernels::cpu::fn(__VA_ARGS__))>(#fn, device)
#endif

// The profiler's Range (Note [The profiler]) is a temporary of the full expression: it times the
// kernel call when a profile is open, and costs an atomic load when none is.
#define EMBER_DISPATCH_KERNEL(device, fn, ...)                                                    \
  (::ember::profiler::Range(::ember::profiler::Kind::Kernel, #fn, (device).index),                \
   ((device).is_cpu() ? ::ember::kernels::cpu::fn(__VA_ARGS__)                                    \
                      : EMBER_CUDA_KERNEL_CALL_(device, fn, __VA_ARGS__)))

namespace ember::kernels {

// The CUDA branch of a build without CUDA: check_device raises there; R() is never returned.
template <typename R>
R no_cuda_kernel(const char* name, Device device) {
  ::ember::cuda::check_device(name, device);
  return R();
}

}  // namespace ember::kernels
