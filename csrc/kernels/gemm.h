// Matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major, with BLAS-style transpose
// flags and leading dimensions, so a transposed view (one of its two strides is 1) is read in
// place; and the entry points the ops dispatch: a batched product over broadcast batch dims
// (matmul, mm, bmm) and Linear's product with its bias / ReLU epilogue. Raw pointers and sizes
// only. The CPU side is kernels/cpu/gemm.cpp (the blocked GEMM) and kernels/cpu/gemm_batched.cpp
// (the batch and Linear over it); the CUDA twins are all in kernels/cuda/gemm.cu, queued on the
// current device's stream (device pointers; nothing waits).
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/gemm_indexing.h"
#include "kernels/twins.h"

#define EMBER_GEMM_KERNELS                                                                          \
  /* op(A) is M x K: A[i*lda + p] when !trans_a, A[p*lda + i] when trans_a (A stored K x M).        \
     op(B) is K x N: B[p*ldb + j] when !trans_b, B[j*ldb + p] when trans_b (B stored N x K).        \
     C is M x N with row stride ldc. beta == 0 never reads C (so C may hold garbage or NaN). */     \
  void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, \
             int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);          \
  void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, \
             int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);       \
  /* Integer matmul (no fast path needed): C = op(A) * op(B), same conventions, beta = 0. */        \
  void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda, \
             const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc);                               \
  void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int32_t* A, int64_t lda, \
             const int32_t* B, int64_t ldb, int32_t* C, int64_t ldc);                               \
  /* C[z] = op(A[z]) op(B[z]) for every matrix z of `batch` (Note [Batched GEMM offsets]); op() and \
     lda / ldb as above. C[z] is M x N with row stride ldc. Float32, Float64, Int64 and Int32. On CUDA one \
     launch for the whole batch (grid z walks the matrices). */                                     \
  void gemm_batched(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A, \
                    int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc, const GemmBatch& batch); \
  /* Linear (Note [Fused linear]): C (M x N, contiguous) = op(A) op(B) [+ bias[j] on column j], then \
     max(., 0) when `relu`. bias may be null. Float32 and Float64. On CUDA one launch: the bias and \
     ReLU are applied in the GEMM's write-back. */                                                  \
  void linear_gemm(DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const void* A, \
                   int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C);

EMBER_DECLARE_TWINS(EMBER_GEMM_KERNELS)
