// Emulated checks of kernels/cuda/gemm.cu (sgemm's register-blocked kernel and the generic
// float64/int64 kernel) against a naive reference: all four transposes, ragged edges, padded
// leading dimensions, misaligned operands (no float4 path), alpha/beta, batches, and Linear's
// bias/ReLU epilogue. Grown from the one-off check the kernel was first validated with.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "harness_common.h"
#include "kernels/gemm.h"
#include "kernels/gemm_indexing.h"

namespace {

using namespace ember;
using ember::kernels::GemmBatch; using ember::kernels::gemm_a_offset; using ember::kernels::gemm_b_offset;
namespace kc = ember::kernels::cuda;

template <typename T>
T ref_at(bool ta, bool tb, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, int64_t i, int64_t j) {
  T s = 0;
  for (int64_t p = 0; p < K; ++p) s += A[gemm_a_offset(ta, lda, i, p)] * B[gemm_b_offset(tb, ldb, p, j)];
  return s;
}

template <typename T>
void check(const char* what, T got, T want, double tol) {
  emu_test::expect_close(double(got), double(want), 0, tol * (1 + std::abs(double(want))), what);
}

template <typename T>
void run_case(DType dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t pad, int64_t shift, bool bias,
              bool relu, T alpha, T beta, int64_t batch) {
  std::mt19937 rng(M * 131 + N * 7 + K);
  std::uniform_int_distribution<int> d(-3, 3);
  const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  const int64_t sa = (ta ? K : M) * lda + shift, sb = (tb ? N : K) * ldb;
  std::vector<T> A(batch * sa + shift + 8), B(batch * sb + 8), Cv(batch * M * ldc + shift + 8), bv(N);
  for (auto& x : A) x = T(d(rng));
  for (auto& x : B) x = T(d(rng));
  for (auto& x : Cv) x = T(d(rng));
  for (auto& x : bv) x = T(d(rng));
  std::vector<T> C0 = Cv;
  T* C = Cv.data() + shift;
  const T* Ap = A.data() + shift;
  if (bias || relu) {
    if constexpr (std::is_floating_point_v<T>)
      kc::linear_gemm(dt, ta, tb, M, N, K, Ap, lda, B.data(), ldb, bias ? bv.data() : nullptr, relu, C);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T want = ref_at(ta, tb, K, Ap, lda, B.data(), ldb, i, j) + (bias ? bv[j] : T(0));
        if (relu && want < 0) want = 0;
        check("linear", C[i * N + j], want, 1e-5);
      }
    return;
  }
  if (batch > 1) {
    GemmBatch g;
    g.ndim = 1;
    g.sizes[0] = batch;
    g.stride_a[0] = sa;
    g.stride_b[0] = sb;
    g.stride_c = M * ldc;
    kc::gemm_batched(dt, ta, tb, M, N, K, Ap, lda, B.data(), ldb, C, ldc, g);
    for (int64_t z = 0; z < batch; ++z)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
          check("batched", C[z * M * ldc + i * ldc + j], ref_at(ta, tb, K, Ap + z * sa, lda, B.data() + z * sb, ldb, i, j), 1e-5);
    return;
  }
  if constexpr (std::is_same_v<T, float>) kc::sgemm(ta, tb, M, N, K, alpha, Ap, lda, B.data(), ldb, beta, C, ldc);
  else if constexpr (std::is_same_v<T, double>) kc::dgemm(ta, tb, M, N, K, alpha, Ap, lda, B.data(), ldb, beta, C, ldc);
  else kc::igemm(ta, tb, M, N, K, Ap, lda, B.data(), ldb, C, ldc);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j)
      check("gemm", C[i * ldc + j], alpha * ref_at(ta, tb, K, Ap, lda, B.data(), ldb, i, j) + beta * C0[shift + i * ldc + j], 1e-5);
    for (int64_t j = N; j < ldc; ++j) check("padding untouched", C[i * ldc + j], C0[shift + i * ldc + j], 0);
  }
}

}  // namespace

void test_gemm() {
  const int64_t shapes[][3] = {{1, 10, 2}, {3, 10, 2}, {130, 129, 17}, {1, 1, 1}, {257, 5, 3}, {64, 64, 0}};
  int n = 0;
  for (auto& s : shapes)
    for (int t = 0; t < 4; ++t)
      for (int64_t pad : {0, 1})
        for (int64_t shift : {0, 1}) {
          bool ta = t & 1, tb = t & 2;
          run_case<float>(DType::Float32, ta, tb, s[0], s[1], s[2], pad, shift, false, false, 1.f, 0.f, 1);
          run_case<double>(DType::Float64, ta, tb, s[0], s[1], s[2], pad, shift, false, false, 1.0, 0.0, 1);
          run_case<int64_t>(DType::Int64, ta, tb, s[0], s[1], s[2], pad, shift, false, false, 1, 0, 1);
          run_case<int32_t>(DType::Int32, ta, tb, s[0], s[1], s[2], pad, shift, false, false, 1, 0, 1);
          n += 4;
        }
  for (int t = 0; t < 4; ++t) {
    bool ta = t & 1, tb = t & 2;
    run_case<float>(DType::Float32, ta, tb, 70, 130, 20, 0, 0, false, false, 2.f, 0.5f, 1);
    run_case<float>(DType::Float32, ta, tb, 70, 132, 20, 0, 0, false, false, 2.f, -1.f, 1);
    run_case<double>(DType::Float64, ta, tb, 70, 130, 20, 0, 0, false, false, 2.0, 0.5, 1);
    run_case<float>(DType::Float32, ta, tb, 33, 131, 12, 0, 0, false, false, 1.f, 0.f, 3);
    run_case<float>(DType::Float32, ta, tb, 32, 128, 16, 0, 0, false, false, 1.f, 0.f, 3);
    run_case<double>(DType::Float64, ta, tb, 33, 70, 12, 0, 0, false, false, 1.0, 0.0, 2);
    run_case<int64_t>(DType::Int64, ta, tb, 33, 70, 12, 1, 0, false, false, 1, 0, 2);
    run_case<int32_t>(DType::Int32, ta, tb, 33, 70, 12, 1, 0, false, false, 1, 0, 2);
    for (int br = 1; br < 4; ++br) {
      run_case<float>(DType::Float32, ta, tb, 37, 130, 20, 0, 0, br & 1, br & 2, 1.f, 0.f, 1);
      run_case<float>(DType::Float32, ta, tb, 37, 128, 24, 0, 0, br & 1, br & 2, 1.f, 0.f, 1);
      run_case<double>(DType::Float64, ta, tb, 37, 130, 20, 0, 0, br & 1, br & 2, 1.0, 0.0, 1);
    }
    n += 16;
  }
  (void)n;
}
