// CUDA twins of kernels/cpu/reduce.h and kernels/cpu/softmax.h: the same signatures and results
// (the shared maths is in kernels/reduce_functors.h), queued on the current device's stream.
// Pointers are device pointers; nothing here waits for the device.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cuda {

void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner);
void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols);
void var_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner, double correction);
void minmax_last_axis(DType dtype, bool is_max, void* out, int64_t* indices, const void* in, int64_t outer,
                      int64_t inner);

void softmax(DType dtype, bool log, void* out, const void* x, int64_t outer, int64_t dim, int64_t inner);

}  // namespace ember::kernels::cuda
