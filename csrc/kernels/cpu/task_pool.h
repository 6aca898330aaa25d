// A small pool of worker threads for the GEMM's strips (Note [Caller-completes tasks]).
#pragma once
#include <cstdint>
#include <functional>

namespace ember::kernels::cpu {

// Runs task(i) for every i in [0, n) on the calling thread and up to `nthreads - 1` pool
// workers, and returns when all n have run. The first exception a task throws is rethrown here
// once all have run. Safe to call from several threads at once; from inside a task it runs inline.
void run_tasks(int64_t n, int nthreads, const std::function<void(int64_t)>& task);

// Workers beyond `nthreads - 1` leave now (Note [The pool follows set_num_threads]); later jobs
// that ask for more start them again.
void resize_task_pool(int nthreads);

}  // namespace ember::kernels::cpu
