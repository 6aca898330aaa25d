// Note [Blocked GEMM]
// The classic Goto/BLIS structure, in plain C++ that GCC vectorises at -O3 for baseline x86-64:
//   for each KC-deep slab of K:   pack B[pc:pc+KC, jc:jc+NC] into NR-wide column panels
//     for each MC-tall block of M (in parallel):  pack A[ic:ic+MC, pc:pc+KC] into MR-tall row panels
//       for each MR x NR tile:  micro-kernel accumulates a register tile over the KC slab
// Packing makes the micro-kernel's reads unit-stride whatever the operands' layout (transposed
// or not), and keeps the B slab in L2 and the A panel in L1. Edge tiles are packed with zeros,
// so the micro-kernel has fixed trip counts; only the write-back clips to the real tile size.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {

template <typename T> struct Tile;
// MR x NR accumulators sized for baseline x86-64's 16 SSE registers: 4 x 8 floats and 4 x 4
// doubles are 8 registers of accumulators, leaving room for the B row and the A broadcast. Larger
// tiles (6 x 16) spill and measured 4-9x slower (1024^3 sgemm, one thread: 3.3 vs 29 GFLOP/s).
template <> struct Tile<float> { static constexpr int MR = 4, NR = 8; };
template <> struct Tile<double> { static constexpr int MR = 4, NR = 4; };

constexpr int64_t kMC = 128;   // rows of A per block (multiple of MR)
constexpr int64_t kKC = 256;   // depth of one slab
constexpr int64_t kNC = 2048;  // columns of B per slab (multiple of NR)
// Below this many multiply-adds the threads' wake-up costs more than it saves.
constexpr int64_t kParallelFlops = int64_t(1) << 18;

// A strided matrix view: element (i, j) is at p[i*rs + j*cs].
template <typename T>
struct Mat {
  const T* p;
  int64_t rs, cs;
  const T& at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

// Packs rows [0, mc) x depth [0, kc) of A into panels of MR rows: panel r holds, for each p,
// MR consecutive values A(r*MR + i, p).
template <typename T>
void pack_a(const Mat<T>& A, int64_t mc, int64_t kc, T* out) {
  constexpr int MR = Tile<T>::MR;
  for (int64_t r = 0; r < mc; r += MR) {
    int64_t rows = std::min<int64_t>(MR, mc - r);
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t i = 0; i < rows; ++i) out[i] = A.at(r + i, p);
      for (int64_t i = rows; i < MR; ++i) out[i] = T(0);
      out += MR;
    }
  }
}

// Packs depth [0, kc) x columns [0, nc) of B into panels of NR columns.
template <typename T>
void pack_b(const Mat<T>& B, int64_t kc, int64_t nc, T* out) {
  constexpr int NR = Tile<T>::NR;
  for (int64_t c = 0; c < nc; c += NR) {
    int64_t cols = std::min<int64_t>(NR, nc - c);
    for (int64_t p = 0; p < kc; ++p) {
      const T* row = &B.at(p, c);
      if (B.cs == 1) {
        for (int64_t j = 0; j < cols; ++j) out[j] = row[j];
      } else {
        for (int64_t j = 0; j < cols; ++j) out[j] = row[j * B.cs];
      }
      for (int64_t j = cols; j < NR; ++j) out[j] = T(0);
      out += NR;
    }
  }
}

// C[0:mr, 0:nr] (row stride ldc) = alpha * Ap * Bp + (first ? beta * C : C).
template <typename T>
void micro_kernel(int64_t kc, const T* __restrict__ Ap, const T* __restrict__ Bp, T* C, int64_t ldc,
                  int64_t mr, int64_t nr, T alpha, T beta, bool first) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const T* a = Ap + p * MR;
    const T* b = Bp + p * NR;
    for (int i = 0; i < MR; ++i) {
      T ai = a[i];
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
    }
  }
  for (int64_t i = 0; i < mr; ++i) {
    T* c = C + i * ldc;
    if (!first) {
      for (int64_t j = 0; j < nr; ++j) c[j] += alpha * acc[i][j];
    } else if (beta == T(0)) {
      for (int64_t j = 0; j < nr; ++j) c[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < nr; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
    }
  }
}

template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

template <typename T>
void gemm_blocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, int64_t lda,
                  const T* Bp, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR;
  Mat<T> A{Ap, trans_a ? 1 : lda, trans_a ? lda : 1};
  Mat<T> B{Bp, trans_b ? 1 : ldb, trans_b ? ldb : 1};
  const int64_t n_mblocks = (M + kMC - 1) / kMC;
  const bool threaded = M * N * K >= kParallelFlops;
  std::vector<T> bpack(static_cast<size_t>(kKC * std::min<int64_t>(kNC, (N + NR - 1) / NR * NR)));

  for (int64_t jc = 0; jc < N; jc += kNC) {
    int64_t nc = std::min(kNC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kKC) {
      int64_t kc = std::min(kKC, K - pc);
      bool first = pc == 0;
      pack_b(Mat<T>{&B.at(pc, jc), B.rs, B.cs}, kc, nc, bpack.data());
      auto run_blocks = [&](int64_t begin, int64_t end) {
        std::vector<T> apack(static_cast<size_t>(kMC * kc));
        for (int64_t blk = begin; blk < end; ++blk) {
          int64_t ic = blk * kMC, mc = std::min(kMC, M - ic);
          pack_a(Mat<T>{&A.at(ic, pc), A.rs, A.cs}, mc, kc, apack.data());
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const T* bp = bpack.data() + (jr / NR) * NR * kc;
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const T* ap = apack.data() + (ir / MR) * MR * kc;
              micro_kernel<T>(kc, ap, bp, C + (ic + ir) * ldc + jc + jr, ldc, std::min<int64_t>(MR, mc - ir),
                              std::min<int64_t>(NR, nc - jr), alpha, beta, first);
            }
          }
        }
      };
      if (threaded) {
        parallel_for(n_mblocks, 1, run_blocks);
      } else {
        run_blocks(0, n_mblocks);
      }
    }
  }
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_blocked<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
           int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_blocked<double>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda,
           const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc) {
  Mat<int64_t> a{A, trans_a ? 1 : lda, trans_a ? lda : 1};
  Mat<int64_t> b{B, trans_b ? 1 : ldb, trans_b ? ldb : 1};
  for (int64_t i = 0; i < M; ++i) {
    int64_t* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = 0;
    for (int64_t p = 0; p < K; ++p) {
      int64_t aip = a.at(i, p);
      for (int64_t j = 0; j < N; ++j) c[j] += aip * b.at(p, j);
    }
  }
}

}  // namespace ember::kernels::cpu
