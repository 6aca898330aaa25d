// The output passes of a fused Linear: the bias broadcast over the rows of an (M, N) output
// before a beta = 1 GEMM accumulates into it, and the bias + ReLU epilogue run once over the
// GEMM's result. Raw pointers and sizes only; C is row-major with row stride N.
#pragma once
#include <cstdint>

#include "core/dtype.h"

namespace ember::kernels::cpu {

// C[i, j] = bias[j] for every row i.
void fill_rows(DType dtype, void* C, const void* bias, int64_t M, int64_t N);
// C[i, j] = max(C[i, j] + bias[j], 0); bias may be null (ReLU only).
void bias_relu(DType dtype, void* C, const void* bias, int64_t M, int64_t N);

}  // namespace ember::kernels::cpu
