// The SIMD GEMM micro-kernel, written once over a vector-traits class V (V::R a register of
// V::W lanes of V::T) and included ONLY by the ISA translation units (gemm_avx2.cpp,
// gemm_avx512.cpp), which compile it with their -m flags.
// Note [ISA translation units]: everything here lives in an anonymous namespace and uses no
// standard-library templates, so no inline function compiled with AVX instructions can be
// merged by the linker with a baseline copy that the portable path then calls.
#pragma once
#include <cstdint>

namespace {

// A tile of MR rows x NV vectors (NR = NV * V::W) of accumulators: NV loads of B and MR
// broadcasts of A feed NV * MR independent FMAs per step of the depth loop. NV = 2 is the main
// tile; NV = 1 (with a taller MR) is the narrow tile of Note [Narrow GEMM] in gemm.cpp.
template <class V, int MR, int NV, bool Packed>
void simd_micro_kernel(int64_t kc, const typename V::T* a, int64_t a_is, int64_t a_ps, const typename V::T* b,
                       int64_t b_ps, typename V::T* c, int64_t ldc, int64_t mr, int64_t nr, typename V::T alpha,
                       typename V::T beta, bool first) {
  using T = typename V::T;
  using R = typename V::R;
  static_assert(NV == 1 || NV == 2, "one or two vectors of columns");
  constexpr int W = V::W, NR = NV * W;
  if (Packed) {
    a_is = 1;
    a_ps = MR;
    b_ps = NR;
  }
  R acc0[MR], acc1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = V::zero();
  for (int64_t p = 0; p < kc; ++p) {
    R b0 = V::load(b), b1 = NV == 2 ? V::load(b + W) : b0;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      R ai = V::set1(a[i * a_is]);
      acc0[i] = V::fma(ai, b0, acc0[i]);
      if (NV == 2) acc1[i] = V::fma(ai, b1, acc1[i]);
    }
    a += a_ps;
    b += b_ps;
  }
  const R va = V::set1(alpha), vb = V::set1(beta);
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T* ci = c + i * ldc;
      R r0 = V::mul(va, acc0[i]), r1 = V::mul(va, acc1[i]);
      if (!first) {
        r0 = V::add(r0, V::load(ci));
        if (NV == 2) r1 = V::add(r1, V::load(ci + W));
      } else if (beta != T(0)) {
        r0 = V::fma(vb, V::load(ci), r0);
        if (NV == 2) r1 = V::fma(vb, V::load(ci + W), r1);
      }
      V::store(ci, r0);
      if (NV == 2) V::store(ci + W, r1);
    }
    return;
  }
  T tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    V::store(tile + i * NR, V::mul(va, acc0[i]));
    if (NV == 2) V::store(tile + i * NR + W, V::mul(va, acc1[i]));
  }
  for (int64_t i = 0; i < mr; ++i) {
    T* ci = c + i * ldc;
    const T* ti = tile + i * NR;
    if (!first) {
      for (int64_t j = 0; j < nr; ++j) ci[j] += ti[j];
    } else if (beta == T(0)) {
      for (int64_t j = 0; j < nr; ++j) ci[j] = ti[j];
    } else {
      for (int64_t j = 0; j < nr; ++j) ci[j] = ti[j] + beta * ci[j];
    }
  }
}

}  // namespace
