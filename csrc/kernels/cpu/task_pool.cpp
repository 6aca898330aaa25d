// Note [Caller-completes tasks]
// OpenMP's fork-join makes the caller wait at the end of a parallel region until every thread of
// the team has checked in. On these shared 2-core machines another process often holds the second
// core; the woken OpenMP thread then runs only at the next scheduler tick, and each GEMM of an
// MLP step measured a flat 8 ms instead of 0.1-2 ms (2 threads 2-4x slower than 1). Here the
// caller and the workers take task indices from one atomic counter, and the caller returns as
// soon as all tasks are *done*: a worker that has not woken yet simply finds nothing left to do,
// so a busy machine degrades to one-thread speed instead of stalling. Workers spin before
// sleeping, so the back-to-back GEMMs of a training step find them awake (Note [How long workers
// spin]). A forked child (a DataLoader worker) has no workers; its caller runs every task itself.
//
// Note [How long workers spin]
// A worker that sleeps on the condition variable takes a futex wake-up (and on these VMs often a
// halted virtual CPU) to join the next job, and a GEMM of a few hundred microseconds is over by
// then: the caller does it alone. Between the parallel regions of one MLP training step there are
// gaps of Python and serial work that exceeded the old 100 us spin, so after any idle spell (the
// benchmark suite idles 0.1 s between timed blocks) the 784-512-512-10 step ran at one-thread speed,
// 9.2 ms instead of 5.0 ms. Spinning 2 ms (yielding the core on every turn, so a thread that wants
// it gets it) keeps the worker awake through a step: 5.7 ms median after 0.1 s idle spells
// (1 ms: 6.1 ms; 5 ms: no better than 2). bench/results/cpu-speed-2026-11-25-final.md.
#include "kernels/cpu/task_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace ember::kernels::cpu {

namespace {

struct Job {
  const std::function<void(int64_t)>* task;
  int64_t n;
  std::atomic<int64_t> next{0}, done{0};
  // The first exception a task threw (e.g. bad_alloc of a packing buffer). A worker must not let
  // it escape (that would terminate the process); the caller rethrows it once all tasks are done.
  std::mutex error_mu;
  std::exception_ptr error;
};

// Takes indices until none are left.
void work_on(Job& job) {
  for (int64_t i; (i = job.next.fetch_add(1, std::memory_order_relaxed)) < job.n;) {
    try {
      (*job.task)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.error_mu);
      if (!job.error) job.error = std::current_exception();
    }
    job.done.fetch_add(1, std::memory_order_release);
  }
}

class Pool {
 public:
  void run(int64_t n, int nthreads, const std::function<void(int64_t)>& task) {
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->n = n;
    ensure_workers(nthreads - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work_on(*job);
    while (job->done.load(std::memory_order_acquire) < n) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (job_ == job) job_.reset();
    }
    if (job->error) std::rethrow_exception(job->error);
  }

 private:
  void ensure_workers(int count) {
    std::lock_guard<std::mutex> lock(mu_);
    while (static_cast<int>(workers_.size()) < count) {
      workers_.emplace_back([this] { worker_loop(); });
      workers_.back().detach();  // lives as long as the process
    }
  }

  void worker_loop() {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin (yielding) ~2 ms for the next job before sleeping: Note [How long workers spin].
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(2000);
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
        seen = generation_.load(std::memory_order_relaxed);
        job = job_;
      }
      if (job) work_on(*job);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::shared_ptr<Job> job_;
  std::vector<std::thread> workers_;
};

// Never destroyed: detached workers may still read it at exit. A forked child gets a fresh,
// empty pool: the parent's workers do not exist there, and its mutex may have been copied
// while a worker held it.
std::atomic<Pool*> g_pool{nullptr};

Pool* pool() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_pool.store(new Pool()); });
    return true;
  }();
  (void)registered;
  Pool* p = g_pool.load();
  if (!p) {
    Pool* fresh = new Pool();
    if (g_pool.compare_exchange_strong(p, fresh)) return fresh;
    delete fresh;
  }
  return p;
}

}  // namespace

void run_tasks(int64_t n, int nthreads, const std::function<void(int64_t)>& task) {
  if (nthreads <= 1 || n <= 1) {
    for (int64_t i = 0; i < n; ++i) task(i);
    return;
  }
  pool()->run(n, nthreads, task);
}

}  // namespace ember::kernels::cpu
