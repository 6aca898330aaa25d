// The GEMM family's dispatch points (Note [One dispatch point per kernel family], ops/dispatch.h):
// matmul / mm / bmm and linear call these, which run the CPU kernel or its CUDA twin.
#pragma once
#include "kernels/cpu/gemm_batched.h"
#include "ops/dispatch.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/gemm.h"
#endif

namespace ember::dispatch {

inline void gemm_batched(Device d, DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                         const void* A, int64_t lda, const void* B, int64_t ldb, void* C, int64_t ldc,
                         const kernels::GemmBatch& batch) {
  if (d.is_cpu()) return kernels::cpu::gemm_batched(dtype, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, batch);
  EMBER_CUDA_TWIN(d, gemm_batched, dtype, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc, batch);
}

inline void linear_gemm(Device d, DType dtype, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                        const void* A, int64_t lda, const void* B, int64_t ldb, const void* bias, bool relu, void* C) {
  if (d.is_cpu()) return kernels::cpu::linear_gemm(dtype, trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, relu, C);
  EMBER_CUDA_TWIN(d, linear_gemm, dtype, trans_a, trans_b, M, N, K, A, lda, B, ldb, bias, relu, C);
}

}  // namespace ember::dispatch
