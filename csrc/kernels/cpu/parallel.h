// A parallel-for over [0, n) in contiguous chunks, on the task pool (Note [Caller-completes
// tasks] in task_pool.cpp) when the work is large enough to pay for waking a thread (small
// tensors stay on one thread). The thread count is OpenMP's (OMP_NUM_THREADS, or what
// threadpoolctl / omp_set_num_threads set); builds without OpenMP run on one thread.
#pragma once
#include <atomic>
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

// Note [Thread count per Python thread]
// As torch.set_num_threads: the count is OpenMP's setting of the calling thread (so threadpoolctl
// and OMP_NUM_THREADS keep working), and the last value set anywhere is also what a thread that
// has not run a kernel yet starts from. Checked against torch 2.13: set_num_threads(1) in a new
// Python thread leaves the main thread's get_num_threads() at 2, but threads started afterwards
// see 1 (PyTorch's lazy_init_num_threads). The task pool is shared, and set_num_threads also
// sends away its workers beyond the new count (Note [The pool follows set_num_threads]).
inline std::atomic<int>& last_set_kernel_threads() {
  static std::atomic<int> n{0};  // 0: never set
  return n;
}

inline int max_kernel_threads() {
#ifdef _OPENMP
  thread_local bool initialized = false;
  if (!initialized) {
    initialized = true;
    if (int n = last_set_kernel_threads().load(std::memory_order_relaxed); n > 0) omp_set_num_threads(n);
  }
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// ember.set_num_threads (see the Note above). Without OpenMP there is only one thread.
inline void set_kernel_threads(int n) {
#ifdef _OPENMP
  last_set_kernel_threads().store(n, std::memory_order_relaxed);
  max_kernel_threads();  // this thread's first call must not override n below
  omp_set_num_threads(n);
  resize_task_pool(n);
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
