// Emulated checks of kernels/cuda/gemm.cu (sgemm's register-blocked kernel and the generic
// float64/int64 kernel) against a naive reference: all four transposes, ragged edges, padded
// leading dimensions, misaligned operands (no float4 path), alpha/beta, batches, and Linear's
// bias/ReLU epilogue. Grown from the one-off check the kernel was first validated with.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include "harness_common.h"
#include "kernels/cuda/gemm_tiles.h"
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

using kc::FloatGemmTile;
constexpr FloatGemmTile kTiles[] = {FloatGemmTile::T128x128, FloatGemmTile::T64x64, FloatGemmTile::T32x32,
                                    FloatGemmTile::T16x16, FloatGemmTile::T64x16};

// Note [GEMM tiles by shape]: every float32 tile gives the same bits. Random non-integer data
// (so rounding happens), K across the panels of EMBER_CUDA_EMU_K_PANEL and not a multiple of either
// K step, every transpose, alpha/beta and the Linear epilogue.
void check_tiles_agree(bool ta, bool tb, int64_t M, int64_t N, int64_t K, bool linear) {
  std::mt19937 rng(static_cast<unsigned>(M * 31 + N * 17 + K));
  std::normal_distribution<float> d(0.f, 1.f);
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  std::vector<float> A(M * K + 1), B(K * N + 1), bias(N), C0(M * N);
  for (auto* v : {&A, &B, &bias, &C0})
    for (auto& x : *v) x = d(rng);
  std::vector<float> first;
  for (FloatGemmTile tile : kTiles) {
    kc::force_float_gemm_tile(tile);
    std::vector<float> C = C0;
    if (linear) kc::linear_gemm(DType::Float32, ta, tb, M, N, K, A.data(), lda, B.data(), ldb, bias.data(), true, C.data());
    else kc::sgemm(ta, tb, M, N, K, 1.5f, A.data(), lda, B.data(), ldb, -0.5f, C.data(), N);
    if (first.empty()) first = C;
    for (int64_t i = 0; i < M * N; ++i)
      emu_test::expect(std::memcmp(&C[i], &first[i], sizeof(float)) == 0,
                       std::string("tile ") + kc::float_gemm_tile_name(tile) + " differs in the bits");
  }
  kc::force_float_gemm_tile(FloatGemmTile::Auto);
}

// The rule (Note [GEMM tiles by shape]) on an H100's 132 SMs at the shapes of an MLP step.
void check_tile_rule() {
  auto expect = [](int64_t M, int64_t N, int64_t batch, FloatGemmTile want) {
    emu_test::expect_close(double(static_cast<int>(kc::float_gemm_tile_rule(M, N, batch, 132))),
                           double(static_cast<int>(want)), 0, 0, "tile rule");
  };
  expect(4096, 4096, 1, FloatGemmTile::T128x128);  // 1024 tiles of 128 x 128
  expect(1024, 2048, 1, FloatGemmTile::T64x64);     // 128 big tiles: short of 132
  expect(128, 784, 1, FloatGemmTile::T16x16);        // a hidden layer's weight gradient
  expect(64, 1024, 1, FloatGemmTile::T16x16);        // the 8-of-132 product
  expect(128, 1024, 8, FloatGemmTile::T64x64);       // a batch of 8 fills it sooner
  expect(128, 10, 1, FloatGemmTile::T16x16);         // the 10-class head, batch 128
  expect(60000, 10, 1, FloatGemmTile::T64x16);       // the head over a whole dataset
}

}  // namespace

void test_gemm() {
  check_tile_rule();
  for (int t = 0; t < 4; ++t) {
    check_tiles_agree(t & 1, t & 2, 70, 45, 37, false);
    check_tiles_agree(t & 1, t & 2, 33, 10, 50, true);
    check_tiles_agree(t & 1, t & 2, 5, 130, 9, t == 3);
  }
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
