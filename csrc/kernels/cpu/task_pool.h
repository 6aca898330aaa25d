// A small pool of worker threads for the GEMM's strips (Note [Caller-completes tasks]).
#pragma once
#include <cstdint>
#include <functional>

namespace ember::kernels::cpu {

// Runs task(i) for every i in [0, n) on the calling thread and up to `nthreads - 1` pool
// workers, and returns when all n have run. Tasks must not throw.
void run_tasks(int64_t n, int nthreads, const std::function<void(int64_t)>& task);

}  // namespace ember::kernels::cpu
