// The register-blocked GEMM micro-kernels and their blocking sizes, one set per ISA
// (see Note [Blocked GEMM] in gemm.cpp and Note [Runtime ISA dispatch] in cpu_features.h).
#pragma once
#include <cstdint>

namespace ember::kernels::cpu::detail {

// C[0:mr, 0:nr] (row stride ldc) = alpha * A * B + (first ? beta * C : C), where A is MR x kc
// with element (i, p) at a[i * a_is + p * a_ps] and B is kc x NR with element (p, j) at
// b[p * b_ps + j]. All MR rows of A and NR columns of B must be readable (packing pads edges
// with zeros); only the write-back is clipped to mr x nr. beta == 0 never reads C.
template <typename T>
using MicroKernelFn = void (*)(int64_t kc, const T* a, int64_t a_is, int64_t a_ps, const T* b, int64_t b_ps,
                               T* c, int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta, bool first);

template <typename T>
struct GemmKernel {
  int mr, nr;              // register tile
  int64_t mc, kc, nc;      // cache blocks: A block mc x kc in L2, B micro-panel kc x nr in L1
  MicroKernelFn<T> packed;   // reads packed panels (a_is = 1, a_ps = mr, b_ps = nr)
  MicroKernelFn<T> strided;  // reads any strides (the small-matrix path); null if unsupported
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_X86_SIMD 1
GemmKernel<float> sgemm_kernel_avx2();
GemmKernel<double> dgemm_kernel_avx2();
GemmKernel<float> sgemm_kernel_avx512();
GemmKernel<double> dgemm_kernel_avx512();
// One vector of columns and a taller tile, for N <= nr (Note [Narrow GEMM] in gemm.cpp).
GemmKernel<float> sgemm_narrow_kernel_avx2();
GemmKernel<double> dgemm_narrow_kernel_avx2();
GemmKernel<float> sgemm_narrow_kernel_avx512();
GemmKernel<double> dgemm_narrow_kernel_avx512();
#endif

}  // namespace ember::kernels::cpu::detail
