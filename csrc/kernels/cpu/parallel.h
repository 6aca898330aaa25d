// A parallel-for over [0, n) in contiguous chunks, with OpenMP when the build has it and the
// work is large enough to pay for waking threads (small tensors stay on one thread).
#pragma once
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ember::kernels::cpu {

// Below this many elements of simple work, threading costs more than it saves.
constexpr int64_t kParallelGrain = int64_t(1) << 18;

template <typename F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
#ifdef _OPENMP
  if (n > grain && omp_get_max_threads() > 1) {
    int64_t nchunks = (n + grain - 1) / grain;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < nchunks; ++c) {
      int64_t begin = c * grain, end = begin + grain < n ? begin + grain : n;
      f(begin, end);
    }
    return;
  }
#endif
  (void)grain;
  f(int64_t(0), n);
}

}  // namespace ember::kernels::cpu
