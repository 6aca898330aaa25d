// Note [Errors found by kernels]
// Some user mistakes can only be seen in device memory: a class index out of range in
// cross_entropy's target, an index out of bounds in gather or index_select. Checking them on the
// host would copy the indices back and wait for the device on every call, which is exactly the
// sync a training step must not have. So, as PyTorch's device-side asserts do, the kernel checks:
// a thread that finds a bad value skips its write and records the first such value in this
// device's report, a small struct in mapped page-locked host memory that kernels write directly.
// The host looks at the report after each wait for the device (synchronize, and every
// device-to-host copy: .item(), .cpu(), printing) and raises an IndexError naming the op, the
// value and the bound. The error therefore surfaces at the next sync, not at the call that queued
// the kernel; the message says so.
//
// Only the first error is kept: atomicCAS on `flagged` picks one thread, the rest return.
#pragma once
#include <cstdint>

namespace ember::cuda {

struct KernelErrorReport {
  int32_t flagged;  // 0 until a kernel reports; then 1 until the host has raised it
  int32_t pad;
  int64_t value;    // the offending index
  int64_t bound;    // the size it had to be below
  const char* op;   // a string literal of the host, passed to the kernel as an argument; never
                    // dereferenced on the device, only stored so the host can name the op
};

// The report kernels on device `index` write to, as a device-usable pointer (created on first use).
KernelErrorReport* kernel_error_report(int index);

// Raises (and clears) the error a kernel on device `index` reported, if any. Called after every
// wait for the device (runtime.cpp).
void raise_kernel_error(int index);

}  // namespace ember::cuda
