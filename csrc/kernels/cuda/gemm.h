// CUDA twins of kernels/cpu/gemm.h and kernels/cpu/gemm_batched.h: the same signatures and
// conventions (row-major, BLAS-style transpose flags read in place, beta == 0 never reads C),
// queued on the current device's stream. Pointers are device pointers; nothing here waits.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cuda {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
           int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);
void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda,
           const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc);

// One launch for the whole batch (grid z walks the matrices).
void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                  int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc, const GemmBatch& batch);
// One launch: the bias and ReLU are applied in the GEMM's write-back.
void linear_gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A,
                 int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C);

}  // namespace ember::kernels::cuda
