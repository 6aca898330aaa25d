// Note [Blocked GEMM]
// The classic Goto/BLIS structure:
//   for each NC-wide slab of N, each KC-deep slab of K:  pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels
//     for each MC-tall block of M:  pack A[ic:ic+MC, pc:pc+KC] into MR-tall panels
//       for each NR panel (outer) x MR panel (inner):  micro-kernel on a register tile over KC
// Packing makes the micro-kernel's reads unit-stride whatever the operands' layout (NN, NT, TN
// all run at the same speed), keeps a B micro-panel in L1 and the A block in L2. Edge panels are
// padded with zeros so the micro-kernel has fixed trip counts; only its write-back is clipped.
// The micro-kernel and the block sizes come from gemm_avx512.cpp / gemm_avx2.cpp at run time
// (Note [Runtime ISA dispatch]) or from the portable one below.
//
// Note [GEMM threading]: C is cut into strips taken from a task pool (Note [Caller-completes
// tasks]), along M (B packed once, shared) or, when M has too few register tiles, along N (one
// strip per thread, each packing all of the small A), and each strip runs the serial blocked
// algorithm with its own A buffers. An M strip costs no extra packing, so M is cut into
// kTasksPerThread strips per thread: a worker that wakes late (or loses its core) leaves its
// strips to the caller instead of making the caller wait for a whole half. The threads never
// wait on each other: a first design shared the packed panels and needed two barriers per
// block, which on these shared 2-core machines stalled for whole scheduler slices whenever the
// other core was busy. Packing buffers are thread_local and only grow: no allocation per call.
//
// Note [Narrow GEMM]: the output layer of a classifier has N = 10 columns (its forward x @ W and
// its grad_W = h^T g). The main AVX-512 tile is 32 columns wide, so 22 of its 32 lanes would
// multiply padding (256x10x512 ran at ~20 GFLOP/s). When N fits one vector, a kernel with one
// vector of columns and a taller tile (16 rows on AVX-512, 12 on AVX2) is used instead, and A
// is read in place like a small product's (each element of A is used only N times, so packing
// it cost as much as the arithmetic): 1-thread 256x10x512 went from 19 to 61 GFLOP/s.
//
// Note [Small GEMM]: below kSmallFlops multiply-adds (the MLP's 64 x 64 layers, 100 x 2 @ 2 x 16)
// packing costs as much as the arithmetic, so full tiles read A and B in place through the
// strided micro-kernel and only ragged edge tiles are packed (into a few KB).
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/gemm_kernel.h"

#include "kernels/cpu/parallel.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cpu {

namespace {

using detail::GemmKernel;

// Below this many multiply-adds the threads' wake-up costs more than it saves.
constexpr int64_t kParallelFlops = int64_t(1) << 20;
constexpr int64_t kSmallFlops = int64_t(1) << 18;
// Tasks per thread when C is cut along M (Note [GEMM threading]): a strip costs no extra packing,
// so several per thread let the caller take over the strips of a worker that is late to wake.
constexpr int64_t kTasksPerThread = 4;

// A strided matrix view: element (i, j) is at p[i*rs + j*cs].
template <typename T>
struct Mat {
  const T* p;
  int64_t rs, cs;
  const T& at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

// Copies W values; W is a compile-time constant so this is a few vector moves, not a call to
// memmove per row of a panel (which perf showed as ~5% of an MLP step).
template <int W, typename T>
inline void copy_fixed(const T* src, T* dst) {
  for (int i = 0; i < W; ++i) dst[i] = src[i];
}

// dst[p * W + 0 .. W) = src + p * ld for p < kc: full-width rows of a panel, W fixed.
template <int W, typename T>
void copy_rows(const T* src, int64_t ld, int64_t kc, T* dst) {
  for (int64_t p = 0; p < kc; ++p, src += ld, dst += W) copy_fixed<W>(src, dst);
}

// The same for a run-time width, dispatching the tile widths the kernels use.
template <typename T>
void copy_rows(const T* src, int64_t ld, int64_t kc, int width, T* dst) {
  switch (width) {
    case 4: return copy_rows<4>(src, ld, kc, dst);
    case 6: return copy_rows<6>(src, ld, kc, dst);
    case 8: return copy_rows<8>(src, ld, kc, dst);
    case 12: return copy_rows<12>(src, ld, kc, dst);
    case 16: return copy_rows<16>(src, ld, kc, dst);
    case 32: return copy_rows<32>(src, ld, kc, dst);
    default:
      for (int64_t p = 0; p < kc; ++p, src += ld, dst += width) std::copy_n(src, width, dst);
  }
}

// Writes the `count` x kc transpose of rows of `src` (row r at src + r * ld, contiguous along p)
// into a panel of width W: dst[p * W + r] = src[r * ld + p], and zeros in columns count..W.
// Reads run along the rows; the writes stay inside the panel (in L1).
template <typename T>
void gather_columns(const T* src, int64_t ld, int64_t count, int64_t kc, int W, T* dst) {
  for (int64_t r = 0; r < count; ++r) {
    const T* s = src + r * ld;
    for (int64_t p = 0; p < kc; ++p) dst[p * W + r] = s[p];
  }
  for (int64_t p = 0; p < kc; ++p)
    for (int64_t r = count; r < W; ++r) dst[p * W + r] = T(0);
}

// Packs `rows` (<= MR) rows x kc of A: for each p, MR consecutive values A(i, p), zero-padded.
template <typename T>
void pack_a_panel(const Mat<T>& A, int64_t rows, int64_t kc, int MR, T* out) {
  if (A.rs == 1 && rows == MR) return copy_rows(&A.at(0, 0), A.cs, kc, MR, out);  // A^T: columns contiguous
  if (A.cs == 1) return gather_columns(&A.at(0, 0), A.rs, rows, kc, MR, out);       // rows contiguous
  for (int64_t p = 0; p < kc; ++p, out += MR) {
    for (int64_t i = 0; i < rows; ++i) out[i] = A.at(i, p);
    for (int64_t i = rows; i < MR; ++i) out[i] = T(0);
  }
}

// Packs kc x `cols` (<= NR) columns of B: for each p, NR consecutive values B(p, j), zero-padded.
template <typename T>
void pack_b_panel(const Mat<T>& B, int64_t kc, int64_t cols, int NR, T* out) {
  if (B.cs == 1 && cols == NR) return copy_rows(&B.at(0, 0), B.rs, kc, NR, out);
  if (B.rs == 1) return gather_columns(&B.at(0, 0), B.cs, cols, kc, NR, out);  // B^T (W of x @ W^T)
  for (int64_t p = 0; p < kc; ++p, out += NR) {
    for (int64_t j = 0; j < cols; ++j) out[j] = B.at(p, j);
    for (int64_t j = cols; j < NR; ++j) out[j] = T(0);
  }
}

// The portable micro-kernel (baseline x86-64 or any other CPU): 4 x 8 floats or 4 x 4 doubles
// are 8 SSE registers of accumulators, which GCC keeps in registers at -O3; larger tiles spill.
template <typename T, int MR, int NR>
void portable_micro_kernel(int64_t kc, const T* __restrict__ a, int64_t, int64_t, const T* __restrict__ b, int64_t,
                           T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta, bool first) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p, a += MR, b += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  for (int64_t i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    if (!first) {
      for (int64_t j = 0; j < nr; ++j) ci[j] += alpha * acc[i][j];
    } else if (beta == T(0)) {
      for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
  }
}

// The kernel for a product with N columns: the narrow one when N fits its single vector (Note
// [Narrow GEMM]), else the main tile.
template <typename T> GemmKernel<T> select_kernel(int64_t N);
template <> GemmKernel<float> select_kernel<float>(int64_t N) {
#ifdef EMBER_X86_SIMD
  if (cpu_isa() == CpuIsa::Avx512) {
    GemmKernel<float> narrow = detail::sgemm_narrow_kernel_avx512();
    return N <= narrow.nr ? narrow : detail::sgemm_kernel_avx512();
  }
  if (cpu_isa() == CpuIsa::Avx2) {
    GemmKernel<float> narrow = detail::sgemm_narrow_kernel_avx2();
    return N <= narrow.nr ? narrow : detail::sgemm_kernel_avx2();
  }
#endif
  return {4, 8, 128, 256, 2048, &portable_micro_kernel<float, 4, 8>, nullptr};
}
template <> GemmKernel<double> select_kernel<double>(int64_t N) {
#ifdef EMBER_X86_SIMD
  if (cpu_isa() == CpuIsa::Avx512) {
    GemmKernel<double> narrow = detail::dgemm_narrow_kernel_avx512();
    return N <= narrow.nr ? narrow : detail::dgemm_kernel_avx512();
  }
  if (cpu_isa() == CpuIsa::Avx2) {
    GemmKernel<double> narrow = detail::dgemm_narrow_kernel_avx2();
    return N <= narrow.nr ? narrow : detail::dgemm_kernel_avx2();
  }
#endif
  return {4, 4, 128, 256, 2048, &portable_micro_kernel<double, 4, 4>, nullptr};
}

template <typename T>
T* scratch(std::vector<T>& buf, int64_t n) {
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

// Note [K in panels]: every path sums K in panels of at most k.kc products, each panel in
// registers, and adds the panels into C one after another, as the blocked path does. A float32
// register summing all of a long K alone loses accuracy with K: X^T G over a 228,000-row batch
// (the weight gradient of a 10-class head, the narrow path) was 18x further from float64 than
// PyTorch's; in panels it is within 2x of PyTorch's at any K (bench/gemm_accuracy.py,
// tests/test_gemm_accuracy.py).
//
// See Note [Small GEMM]. One thread. `bpanel`, when given, is B's only panel (N <= nr) already
// packed K x nr by the caller, shared by the threads' strips.
template <typename T>
void gemm_small(const GemmKernel<T>& k, const Mat<T>& A, const Mat<T>& B, int64_t M, int64_t N, int64_t K,
                T alpha, T beta, T* C, int64_t ldc, const T* bpanel = nullptr) {
  thread_local std::vector<T> abuf, bbuf;
  T* apack = scratch(abuf, K * k.mr);
  T* bpack = scratch(bbuf, K * k.nr);
  for (int64_t jr = 0; jr < N; jr += k.nr) {
    int64_t nr = std::min<int64_t>(k.nr, N - jr);
    const T* b = &B.at(0, jr);
    int64_t b_ps = B.rs;
    if (bpanel) {
      b = bpanel;
      b_ps = k.nr;
    } else if (B.cs != 1 || nr < k.nr) {
      pack_b_panel(Mat<T>{b, B.rs, B.cs}, K, nr, k.nr, bpack);
      b = bpack;
      b_ps = k.nr;
    }
    for (int64_t ir = 0; ir < M; ir += k.mr) {
      int64_t mr = std::min<int64_t>(k.mr, M - ir);
      const T* a = &A.at(ir, 0);
      int64_t a_is = A.rs, a_ps = A.cs;
      if (mr < k.mr) {
        pack_a_panel(Mat<T>{a, A.rs, A.cs}, mr, K, k.mr, apack);
        a = apack;
        a_is = 1;
        a_ps = k.mr;
      }
      for (int64_t pc = 0; pc < K; pc += k.kc)  // Note [K in panels]
        k.strided(std::min(k.kc, K - pc), a + pc * a_ps, a_is, a_ps, b + pc * b_ps, b_ps, C + ir * ldc + jr, ldc,
                  mr, nr, alpha, beta, pc == 0);
    }
  }
}

// The blocked algorithm on one thread's part of C (see Note [Blocked GEMM]).
// Packs B panels [q_lo, q_hi) of every KC slab, for all of N: slab pc starts at pc * npad
// (npad = N rounded up to NR), panel q of a slab at q * NR * kc.
template <typename T>
void pack_b_all(const Mat<T>& B, int64_t K, int64_t N, int64_t KC, int NR, int64_t q_lo, int64_t q_hi, T* out) {
  const int64_t npad = (N + NR - 1) / NR * NR;
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = std::min(KC, K - pc);
    for (int64_t q = q_lo; q < q_hi; ++q)
      pack_b_panel(Mat<T>{&B.at(pc, q * NR), B.rs, B.cs}, kc, std::min<int64_t>(NR, N - q * NR), NR,
                   out + pc * npad + q * NR * kc);
  }
}

// `bpacked`, when given, is all of B packed by pack_b_all (shared by the threads).
template <typename T>
void gemm_serial(const GemmKernel<T>& k, const Mat<T>& A, const Mat<T>& B, int64_t M, int64_t N, int64_t K,
                 T alpha, T beta, T* C, int64_t ldc, const T* bpacked = nullptr) {
  const int MR = k.mr, NR = k.nr;
  const int64_t KC = std::min(k.kc, K);
  const int64_t MC = std::min(k.mc, (M + MR - 1) / MR * MR);
  const int64_t npad = (N + NR - 1) / NR * NR;
  const int64_t NC = bpacked ? npad : std::min(k.nc, npad);
  // Note [A in place]: row-major A (x in x @ W, g in g @ W^T) is read where it lies by the
  // strided micro-kernel, MR rows of kc contiguous values each; only a ragged last panel is packed.
  // (Packing it was a scalar transposing gather: 1-thread 256x512x784 86 -> 91-96 GFLOP/s.) A^T
  // is still packed: its panels would be MR values out of every row of A^T, a page apart.
  const bool a_in_place = k.strided && A.cs == 1;
  thread_local std::vector<T> abuf, bbuf;
  T* apack = scratch(abuf, MC * KC);
  T* bpack = bpacked ? nullptr : scratch(bbuf, KC * NC);
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      if (bpacked) {
        bpack = const_cast<T*>(bpacked) + pc * npad;
      } else {
        for (int64_t jr = 0; jr < nc; jr += NR)
          pack_b_panel(Mat<T>{&B.at(pc, jc + jr), B.rs, B.cs}, kc, std::min<int64_t>(NR, nc - jr), NR,
                       bpack + jr * kc);
      }
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        for (int64_t ir = 0; ir < mc; ir += MR)
          if (!a_in_place || mc - ir < MR)
            pack_a_panel(Mat<T>{&A.at(ic + ir, pc), A.rs, A.cs}, std::min<int64_t>(MR, mc - ir), kc, MR,
                         apack + ir * kc);
        for (int64_t jr = 0; jr < nc; jr += NR)
          for (int64_t ir = 0; ir < mc; ir += MR) {
            T* c = C + (ic + ir) * ldc + jc + jr;
            const int64_t mr = std::min<int64_t>(MR, mc - ir), nr = std::min<int64_t>(NR, nc - jr);
            if (a_in_place && mr == MR)
              k.strided(kc, &A.at(ic + ir, pc), A.rs, 1, bpack + jr * kc, NR, c, ldc, mr, nr, alpha, beta, pc == 0);
            else
              k.packed(kc, apack + ir * kc, 1, MR, bpack + jr * kc, NR, c, ldc, mr, nr, alpha, beta, pc == 0);
          }
      }
    }
  }
}

template <typename T>
void gemm_blocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, int64_t lda,
                  const T* Bp, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
  const GemmKernel<T> k = select_kernel<T>(N);
  const Mat<T> A{Ap, trans_a ? 1 : lda, trans_a ? lda : 1};
  const Mat<T> B{Bp, trans_b ? 1 : ldb, trans_b ? ldb : 1};
  const int64_t flops = M * N * K;
  const int64_t mtiles = (M + k.mr - 1) / k.mr, ntiles = (N + k.nr - 1) / k.nr;
  int nthreads = flops >= kParallelFlops ? max_kernel_threads() : 1;
  // Row strips [lo, hi) of C for task t of n, whole register tiles each.
  auto strip = [&](int64_t t, int64_t n, int64_t& lo, int64_t& hi) {
    lo = std::min(M, mtiles * t / n * k.mr);
    hi = std::min(M, mtiles * (t + 1) / n * k.mr);
  };
  // Small products, and a single column panel (Note [Narrow GEMM]: each element of A is used only
  // N times, so packing it would cost as much as the arithmetic): A is read in place.
  if (k.strided && (flops <= kSmallFlops || ntiles == 1)) {
    const int64_t ntasks = nthreads > 1 ? std::min<int64_t>(mtiles, kTasksPerThread * nthreads) : 1;
    if (ntasks <= 1) return gemm_small(k, A, B, M, N, K, alpha, beta, C, ldc);
    // One column panel (the only way past kSmallFlops here): pack it once for all the strips
    // (each packing its own copy cost as much as its share of the arithmetic at N = 10).
    thread_local std::vector<T> shared_panel;
    const T* bpanel = nullptr;
    if (ntiles == 1 && (B.cs != 1 || N < k.nr)) {
      T* p = scratch(shared_panel, K * k.nr);
      pack_b_panel(B, K, N, k.nr, p);
      bpanel = p;
    }
    run_tasks(ntasks, nthreads, [&](int64_t t) {
      int64_t lo, hi;
      strip(t, ntasks, lo, hi);
      if (hi > lo)
        gemm_small(k, Mat<T>{&A.at(lo, 0), A.rs, A.cs}, B, hi - lo, N, K, alpha, beta, C + lo * ldc, ldc, bpanel);
    });
    return;
  }
  // See Note [GEMM threading]. Split along M with B packed once and shared, unless M has too
  // few register tiles to go round; then split along N, each strip packing all of (the small) A.
  if (mtiles >= 2 * nthreads) {
    const int64_t KC = std::min(k.kc, K), npad = ntiles * k.nr;
    thread_local std::vector<T> shared_b;
    T* bpacked = scratch(shared_b, K * npad);
    const int64_t btasks = nthreads > 1 ? std::min<int64_t>(ntiles, kTasksPerThread * nthreads) : 1;
    run_tasks(btasks, nthreads, [&](int64_t t) {
      pack_b_all(B, K, N, KC, k.nr, ntiles * t / btasks, ntiles * (t + 1) / btasks, bpacked);
    });
    const int64_t ntasks = nthreads > 1 ? std::min<int64_t>(mtiles, kTasksPerThread * nthreads) : 1;
    run_tasks(ntasks, nthreads, [&](int64_t t) {
      int64_t lo, hi;
      strip(t, ntasks, lo, hi);
      if (hi > lo)
        gemm_serial(k, Mat<T>{&A.at(lo, 0), A.rs, A.cs}, B, hi - lo, N, K, alpha, beta, C + lo * ldc, ldc, bpacked);
    });
    return;
  }
  nthreads = static_cast<int>(std::min<int64_t>(nthreads, ntiles));
  if (nthreads <= 1) return gemm_serial(k, A, B, M, N, K, alpha, beta, C, ldc);
  run_tasks(nthreads, nthreads, [&](int64_t t) {
    const int64_t lo = std::min(N, ntiles * t / nthreads * k.nr), hi = std::min(N, ntiles * (t + 1) / nthreads * k.nr);
    if (hi > lo) gemm_serial(k, A, Mat<T>{&B.at(0, lo), B.rs, B.cs}, M, hi - lo, K, alpha, beta, C + lo, ldc);
  });
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

namespace {

// Integers wrap as the hardware does (two's complement), so they are summed in unsigned
// arithmetic, where overflow is defined.
template <typename T>
void integer_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda,
                  const T* B, int64_t ldb, T* C, int64_t ldc) {
  using U = std::make_unsigned_t<T>;
  // Element addressing shared with the CUDA twin (kernels/gemm_indexing.h).
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) c[j] = 0;
    for (int64_t p = 0; p < K; ++p) {
      const U aip = static_cast<U>(A[gemm_a_offset(trans_a, lda, i, p)]);
      for (int64_t j = 0; j < N; ++j)
        c[j] = static_cast<T>(static_cast<U>(c[j]) + aip * static_cast<U>(B[gemm_b_offset(trans_b, ldb, p, j)]));
    }
  }
}

}  // namespace

void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int64_t* A, int64_t lda,
           const int64_t* B, int64_t ldb, int64_t* C, int64_t ldc) {
  integer_gemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
}

void igemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const int32_t* A, int64_t lda,
           const int32_t* B, int64_t ldb, int32_t* C, int64_t ldc) {
  integer_gemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
}

}  // namespace ember::kernels::cpu
