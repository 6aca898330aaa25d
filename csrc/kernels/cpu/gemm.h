// CPU matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major, with BLAS-style
// transpose flags and leading dimensions, so a transposed view (one of its two strides is 1)
// is read in place. Raw pointers and sizes only; a CUDA twin keeps the same signature.
#pragma once
#include <cstdint>

namespace ember::kernels::cpu {

// op(A) is M x K: A[i*lda + p] when !trans_a, A[p*lda + i] when trans_a (A stored K x M).
// op(B) is K x N: B[p*ldb + j] when !trans_b, B[j*ldb + p] when trans_b (B stored N x K).
// C is M x N with row stride ldc. beta == 0 never reads C (so C may hold garbage or NaN).
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
           int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// Integer matmul (no fast path needed): C = op(A) * op(B), same conventions, beta = 0.
void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda,
           const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc);

}  // namespace ember::kernels::cpu
