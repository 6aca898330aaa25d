// CPU twins of the gradient-norm kernels of clip_grad_norm_ (kernels/cuda/grad_norm.cu): the
// same chunks, one double partial per chunk (Note [Gradient norm in partial sums]).
#include <algorithm>

#include "kernels/grad_norm.h"

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

void grad_norm_partials(DType dtype, const std::vector<GradSlot>& slots, const GradNorm& norm, double* partials) {
  EMBER_DISPATCH_FLOATING(dtype, "clip_grad_norm_", [&] {
    using T = scalar_t;
    int64_t base = 0;
    for (const GradSlot& s : slots) {
      const T* x = static_cast<const T*>(s.data);
      int64_t chunks = chunks_of(s.n);
      double* out = partials + base;
      parallel_for(chunks, kParallelGrain / kOptimChunk, [&](int64_t lo, int64_t hi) {
        for (int64_t c = lo; c < hi; ++c) {
          int64_t end = std::min(s.n, (c + 1) * kOptimChunk);
          double acc = 0.0;
          for (int64_t i = c * kOptimChunk; i < end; ++i) acc = norm.combine(acc, norm.term(static_cast<double>(x[i])));
          out[c] = acc;
        }
      });
      base += chunks;
    }
  });
}

void grad_norm_finish(DType out_dtype, const double* partials, int64_t count, const GradNorm& norm, void* out) {
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total = norm.combine(total, partials[i]);
  EMBER_DISPATCH_FLOATING(out_dtype, "clip_grad_norm_", [&] {
    *static_cast<scalar_t*>(out) = static_cast<scalar_t>(norm.finish(total));
  });
}

void scale_group(DType dtype, const std::vector<GradSlot>& slots, const void* scale) {
  EMBER_DISPATCH_FLOATING(dtype, "clip_grad_norm_", [&] {
    using T = scalar_t;
    const T c = *static_cast<const T*>(scale);
    for (const GradSlot& s : slots) {
      T* x = static_cast<T*>(s.data);
      parallel_for(s.n, kParallelGrain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) x[i] = x[i] * c;
      });
    }
  });
}

}  // namespace ember::kernels::cpu
