// The GEMM entry points the ops layer dispatches (ops/dispatch_gemm.h): a batched product over
// broadcast batch dims (matmul, mm, bmm) and Linear's product with its bias / ReLU epilogue.
// Raw pointers and sizes only; kernels/cuda/gemm.h declares the CUDA twins, same signatures.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cpu {

// C[z] = op(A[z]) op(B[z]) for every matrix z of `batch` (Note [Batched GEMM offsets]); op() and
// lda / ldb as in gemm.h. C[z] is M x N with row stride ldc. Float32, Float64 and Int64.
void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                  int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc, const GemmBatch& batch);

// Linear (Note [Fused linear]): C (M x N, contiguous) = op(A) op(B) [+ bias[j] on column j], then
// max(., 0) when `relu`. bias may be null. Float32 and Float64.
void linear_gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                 int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C);

}  // namespace ember::kernels::cpu
