// The device half of Note [Errors found by kernels] (core/cuda/kernel_error.h): how a kernel
// reports an index it refuses to use.
#pragma once
#include "core/cuda/kernel_error.h"

namespace ember::kernels::cuda {

// Records the first bad index seen on this device. The caller then skips the element it could
// not compute, so nothing is read or written out of bounds. The report lives in mapped host
// memory, across the bus: once one is recorded, a plain read turns the later bad indices away
// without an atomic each.
__device__ inline void report_bad_index(ember::cuda::KernelErrorReport* report, const char* op, int64_t value,
                                        int64_t bound) {
  if (*static_cast<volatile int*>(&report->flagged) != 0) return;
  if (atomicCAS(&report->flagged, 0, 1) != 0) return;
  report->value = value;
  report->bound = bound;
  report->op = op;
  __threadfence_system();
}

// Whether i is a valid index into a dimension of size n; reports it when not.
__device__ inline bool check_index(ember::cuda::KernelErrorReport* report, const char* op, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return true;
  report_bad_index(report, op, i, n);
  return false;
}

}  // namespace ember::kernels::cuda
