// A parallel-for over [0, n) in contiguous chunks, on the task pool (Note [Caller-completes
// tasks] in task_pool.cpp) when the work is large enough to pay for waking a thread (small
// tensors stay on one thread). The thread count is OpenMP's (OMP_NUM_THREADS, or what
// threadpoolctl / omp_set_num_threads set); builds without OpenMP run on one thread.
#pragma once
#include <cstdint>

#include "kernels/cpu/task_pool.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ember::kernels::cpu {

// Below this many elements of simple work, threading costs more than it saves. 2^16, not 2^18:
// the (256, 512) activations of an MLP step (131,072 elements: bias add, ReLU, its backward) then
// run on both threads, and the pool's worker, kept busy between the GEMMs, no longer falls asleep
// inside a step (2-thread 784-512-512-10 step in quiet moments: 5.4-9.2 -> 5.3-5.6 ms; see
// bench/results/cpu-speed-2026-11-25-round2.md).
constexpr int64_t kParallelGrain = int64_t(1) << 16;

inline int max_kernel_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// ember.set_num_threads: OpenMP's setting of the calling thread (the Python thread that runs ops),
// so threadpoolctl and OMP_NUM_THREADS keep working. Without OpenMP there is only one thread.
inline void set_kernel_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

// Chunks are of equal size (at most `grain`), and their count a multiple of the thread count, so
// n just above the grain splits evenly instead of into one full chunk and a sliver: the SGD update
// of a 784 x 512 weight (401,408 elements) used to split 262,144 / 139,264.
template <typename F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  int threads = n > grain ? max_kernel_threads() : 1;
  if (threads <= 1) {
    f(int64_t(0), n);
    return;
  }
  int64_t nchunks = (n + grain - 1) / grain;
  nchunks = (nchunks + threads - 1) / threads * threads;
  const int64_t chunk = (n + nchunks - 1) / nchunks;
  nchunks = (n + chunk - 1) / chunk;
  run_tasks(nchunks, threads, [&](int64_t c) {
    int64_t begin = c * chunk, end = begin + chunk < n ? begin + chunk : n;
    f(begin, end);
  });
}

}  // namespace ember::kernels::cpu
