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
// Several Python threads may call in at once (the GIL is released around GEMMs): the latest job
// is the one idle workers join, and each caller finishes whatever of its own job is left.
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
//
// Note [The pool follows set_num_threads]
// Workers used to live for the whole process and all woke (notify_all, then a 2 ms spin) for every
// job: after set_num_threads(10000) and back to 2, 9,999 workers fought over 2 cores on every op
// and a small op ran ~2000x slower for the rest of the process. Now:
// - Worker i (a fixed slot) joins only jobs that ask for more than i workers, and only those wake
//   it (each slot has its own condition variable); a worker a job does not need is never woken.
//   A spinning worker that sees a job it is not needed for keeps its old deadline, so it falls
//   asleep 2 ms after the last job that did need it.
// - set_num_threads(n) (resize) makes every worker from slot n-1 up leave at once: spinning ones
//   see the new limit, sleeping ones are woken to exit.
// - A worker no job has needed for kIdleExit leaves too. This covers thread counts that differ by
//   Python thread (Note [Thread count per Python thread], parallel.h): a thread that ran with 64 and
//   ended leaves 63 workers that the remaining threads never need.
// A job that needs a worker whose slot is empty starts it again (a thread start is ~30 us; a
// GEMM that asks for it is far longer). Slots are never freed, so a late worker touches no
// freed memory; the pool itself is never destroyed (workers may still run at exit).
#include "kernels/cpu/task_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <system_error>
#include <thread>
#include <vector>

namespace ember::kernels::cpu {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSpin = std::chrono::microseconds(2000);  // Note [How long workers spin]
constexpr auto kIdleExit = std::chrono::seconds(2);      // Note [The pool follows set_num_threads]

// Set on pool workers: a task that itself asks for a parallel loop runs it inline, so a worker
// never waits on the pool it belongs to.
thread_local bool t_is_worker = false;

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

// One worker's slot. All fields but the condition variable are guarded by Pool::mu_.
struct Slot {
  std::condition_variable cv;
  bool alive = false;     // a thread runs this slot
  bool sleeping = false;  // ... and waits on cv
};

class Pool {
 public:
  void run(int64_t n, int nthreads, const std::function<void(int64_t)>& task) {
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->n = n;
    const int need = nthreads - 1;
    thread_local std::vector<Slot*> to_wake;
    to_wake.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (limit_.load(std::memory_order_relaxed) < need) limit_.store(need, std::memory_order_relaxed);
      start_workers(need);
      job_ = job;
      job_need_ = need;
      generation_.fetch_add(1, std::memory_order_release);
      for (int i = 0; i < need && i < static_cast<int>(slots_.size()); ++i)
        if (slots_[i]->sleeping) to_wake.push_back(slots_[i].get());
    }
    for (Slot* s : to_wake) s->cv.notify_one();
    work_on(*job);
    while (job->done.load(std::memory_order_acquire) < n) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (job_ == job) job_.reset();
    }
    if (job->error) std::rethrow_exception(job->error);
  }

  // Workers in slots `workers` and up leave now (set_num_threads).
  void resize(int workers) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_.store(workers, std::memory_order_relaxed);
    for (size_t i = static_cast<size_t>(std::max(workers, 0)); i < slots_.size(); ++i)
      if (slots_[i]->sleeping) slots_[i]->cv.notify_one();
  }

 private:
  // Starts a thread in each empty slot below `count`. Called with mu_ held.
  void start_workers(int count) {
    while (static_cast<int>(slots_.size()) < count) slots_.push_back(std::make_unique<Slot>());
    for (int i = 0; i < count; ++i) {
      if (slots_[i]->alive) continue;
      // Seen = the generation before this job is posted, so the new worker joins it.
      const uint64_t seen = generation_.load(std::memory_order_relaxed);
      try {
        Slot* slot = slots_[i].get();
        std::thread([this, i, slot, seen] { worker_loop(i, *slot, seen); }).detach();
      } catch (const std::system_error&) {
        return;  // out of threads: the callers do the work (Note [Caller-completes tasks])
      }
      slots_[i]->alive = true;
    }
  }

  void worker_loop(int index, Slot& slot, uint64_t seen) {
    t_is_worker = true;
    auto spin_until = Clock::now() + kSpin;
    for (;;) {
      // Spin (yielding) for the next job: Note [How long workers spin].
      while (generation_.load(std::memory_order_acquire) == seen && Clock::now() < spin_until &&
             index < limit_.load(std::memory_order_relaxed))
        std::this_thread::yield();
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
          if (index >= limit_.load(std::memory_order_relaxed)) {
            slot.alive = false;
            return;
          }
          const uint64_t now = generation_.load(std::memory_order_relaxed);
          if (now != seen) {
            seen = now;
            if (index < job_need_) {
              job = job_;
              break;
            }
            if (Clock::now() < spin_until) break;  // not needed: spin out the old deadline
            continue;
          }
          slot.sleeping = true;
          const bool woken = slot.cv.wait_for(lock, kIdleExit) == std::cv_status::no_timeout;
          slot.sleeping = false;
          if (woken) continue;  // (or spuriously): look again
          // Timed out. A job posted just now may still want this worker; else no job has for kIdleExit.
          if (generation_.load(std::memory_order_relaxed) != seen && index < job_need_) continue;
          slot.alive = false;
          return;
        }
      }
      if (job) {
        work_on(*job);
        job.reset();
        spin_until = Clock::now() + kSpin;
      }
    }
  }

  std::mutex mu_;
  std::atomic<uint64_t> generation_{0};  // bumped (under mu_) for each job posted
  std::atomic<int> limit_{0};            // workers in slots >= limit_ leave; written under mu_
  std::shared_ptr<Job> job_;             // the latest job; guarded by mu_
  int job_need_ = 0;                     // how many workers job_ wants; guarded by mu_
  std::vector<std::unique_ptr<Slot>> slots_;  // guarded by mu_; a Slot never moves or dies
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
  if (nthreads <= 1 || n <= 1 || t_is_worker) {
    for (int64_t i = 0; i < n; ++i) task(i);
    return;
  }
  pool()->run(n, nthreads, task);
}

void resize_task_pool(int nthreads) {
  if (Pool* p = g_pool.load()) p->resize(nthreads - 1);
}

}  // namespace ember::kernels::cpu
