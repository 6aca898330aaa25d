// The CPU elementwise loops shared by kernels/cpu/binary.cpp, unary.cpp and copy.cpp: a LoopShape
// walked row by row (kernels/loop_shape.h), with unit-stride and broadcast-scalar rows written as
// plain loops the compiler vectorises. CPU-only helpers, not twins (the CUDA side has
// kernels/cuda/launch.cuh).
#pragma once
#include <cstdint>

#include "kernels/cpu/parallel.h"
#include "kernels/loop_shape.h"

namespace ember::kernels::cpu {

// One contiguous 1-D loop (after coalescing) is the common case; run it in parallel chunks
// with unit strides so the compiler vectorises the body.
inline bool is_flat_contiguous(const LoopShape& s) {
  if (s.ndim != 1) return false;
  for (int k = 0; k < s.noperands; ++k)
    if (s.strides[k][0] != 1) return false;
  return true;
}

template <typename Out, typename In, typename F>
void binary_loop(Out* out, const In* a, const In* b, const LoopShape& s, F f) {
  if (is_flat_contiguous(s)) {
    parallel_for(s.sizes[0], kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) out[i] = f(a[i], b[i]);
    });
    return;
  }
  for_each_row(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
    Out* o = out + off[0];
    const In* pa = a + off[1];
    const In* pb = b + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(pa[i], pb[i]);
    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {  // row + broadcast scalar (bias add)
      const In vb = *pb;
      for (int64_t i = 0; i < n; ++i) o[i] = f(pa[i], vb);
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const In va = *pa;
      for (int64_t i = 0; i < n; ++i) o[i] = f(va, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(pa[i * st[1]], pb[i * st[2]]);
    }
  });
}

template <typename Out, typename In, typename F>
void unary_loop(Out* out, const In* x, const LoopShape& s, F f) {
  if (is_flat_contiguous(s)) {
    parallel_for(s.sizes[0], kParallelGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) out[i] = static_cast<Out>(f(x[i]));
    });
    return;
  }
  for_each_row(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
    Out* o = out + off[0];
    const In* px = x + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(f(px[i]));
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * st[0]] = static_cast<Out>(f(px[i * st[1]]));
    }
  });
}

}  // namespace ember::kernels::cpu
