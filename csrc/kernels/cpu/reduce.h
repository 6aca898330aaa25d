// CPU reduction kernels over a contiguous [outer, inner] or [rows, cols] block.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

// out[i] = sum_j in[i * inner + j]   (reduce the last axis)
void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner);
// out[j] = sum_i in[i * cols + j]    (reduce the first axis: a bias gradient)
void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols);

}  // namespace ember::kernels::cpu
