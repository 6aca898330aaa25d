// Host emulation of the CUDA features ember's kernels use, so that the real kernel sources
// (csrc/kernels/cuda/*.cu, launches rewritten by preprocess.py) run on the CPU and can be
// compared with their CPU twins (tools/cuda_emu/README.md).
//
// Note [How a launch is emulated]
// emu::launch runs the grid's blocks one after another on the calling thread. A block's threads
// are fibers (a stack each, created once per launch and reused for every block; Note [Switching
// fibers]) run
// by a small scheduler (Note [Scheduling the threads]): a thread runs until it waits at a
// barrier (__syncthreads, a warp's shuffle/ballot) or returns. So __syncthreads is a real barrier, and a kernel that syncs
// in divergent code deadlocks here as it would hang (or worse) on a GPU: when no thread can run
// the launch reports where each one waits and aborts. A thread that returns from the kernel
// drops out of its block's barrier, as exited threads do on a GPU.
// Warps: a shuffle/ballot writes the lane's value into its warp's exchange slots, waits at the
// warp's barrier, reads its source lane's slot and waits again. A full-mask shuffle in a warp
// with missing lanes (a partial last warp, or lanes that already exited) is undefined on a GPU,
// so it is reported as an error. __shared__ variables are function statics: shared by all
// threads of a block, and safe to reuse across blocks because blocks run one at a time.
// Not emulated: concurrency between blocks (so inter-block races are not found), memory
// ordering, and data races inside a block that do not cross a barrier (threads switch only at
// barriers, so such a race always resolves one fixed way here).
#pragma once
#include <atomic>
#include <algorithm>
#include <functional>
#include <random>
#include <ucontext.h>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <tuple>
#include <vector>

#include "cuda_emu_runtime.h"

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
inline float2 make_float2(float a, float b) { return {a, b}; }

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __shared__ static
#define __constant__ static
#define __align__(n) __attribute__((aligned(n)))

namespace emu {

// Note [Switching fibers]
// A switch saves the running fiber's registers and stack pointer and loads another's. ucontext's
// swapcontext also saves and restores the signal mask, a system call each time: at thousands of
// switches per launch that was most of the emulated device's run time. On x86-64 a switch is
// six pushes, a stack swap and six pops (the System V callee-saved registers; the caller-saved
// ones are saved by the compiler around the call). ucontext remains for other machines and for
// ASan/TSan builds, whose runtimes must be told about stack switches and know ucontext's.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define EMU_FAST_SWITCH 1
struct Context {
  void* sp = nullptr;
};
// Saves the callee-saved registers on the current stack and its pointer in *save, then resumes
// the stack at `load` (a fiber suspended here, or a new one laid out by start_context).
[[gnu::naked, gnu::noinline]] inline void switch_stacks(void** /*save: rdi*/, void* /*load: rsi*/) {
  asm volatile(
      "pushq %rbp\n pushq %rbx\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
      "movq %rsp, (%rdi)\n movq %rsi, %rsp\n"
      "popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbx\n popq %rbp\n ret\n");
}
inline void switch_to(Context& save, Context& load) { switch_stacks(&save.sp, load.sp); }
// A new fiber's stack: six zeroed registers for switch_stacks to pop, then `entry` as the return
// address, placed so that entry starts with the stack aligned as after a call.
inline void start_context(Context& c, char* stack, size_t size, void (*entry)()) {
  auto top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15);
  auto* frame = reinterpret_cast<void**>(top - 16);
  frame[0] = reinterpret_cast<void*>(entry);
  c.sp = frame - 6;
  for (int r = 0; r < 6; ++r) frame[-1 - r] = nullptr;
}
#else
struct Context {
  ucontext_t uc;
};
inline void switch_to(Context& save, Context& load) { swapcontext(&save.uc, &load.uc); }
inline void start_context(Context& c, char* stack, size_t size, void (*entry)()) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = size;
  c.uc.uc_link = nullptr;  // entry never returns
  makecontext(&c.uc, entry, 0);
}
#endif

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "EMU ERROR: %s\n", what);
  std::fflush(stderr);
  std::_Exit(3);
}

class Barrier;

// One emulated GPU thread: a fiber with its own stack (Note [How a launch is emulated]).
struct Fiber {
  Context ctx;
  dim3 tid;
  int linear = 0;
  int count_call = 0;  // __syncthreads_count calls in this block
  Barrier* waiting_on = nullptr;
  uint64_t wait_gen = 0;
  const char* what = nullptr;
  bool done = false;
};

inline Fiber* g_cur = nullptr;
inline Context g_sched_ctx;
inline uint64_t g_progress = 0;

// A barrier whose expected count drops when a thread exits; waiting yields to the scheduler.
class Barrier {
 public:
  explicit Barrier(int n) : expected_(n) {}
  // `site` (file:line of the call, or null) must be the same for every arrival of a phase:
  // threads meeting at different __syncthreads is undefined on a GPU, and reported here.
  void arrive_and_wait(const char* what, const char* site = nullptr) {
    if (site) {
      if (arrived_ == 0) site_ = site;
      else if (site_ && std::strcmp(site_, site) != 0) {
        std::fprintf(stderr, "EMU ERROR: threads of one block wait at different barriers: %s and %s\n", site_, site);
        std::_Exit(3);
      }
    }
    if (++arrived_ == expected_) return release();
    Fiber* me = g_cur;
    me->waiting_on = this;
    me->wait_gen = gen_;
    me->what = what;
    switch_to(me->ctx, g_sched_ctx);
  }
  void arrive_and_drop() {
    --expected_;
    if (arrived_ > 0 && arrived_ == expected_) release();
  }
  int expected() const { return expected_; }
  uint64_t gen() const { return gen_; }

 private:
  void release() {
    arrived_ = 0;
    ++gen_;
    ++g_progress;
  }
  int expected_, arrived_ = 0;
  uint64_t gen_ = 0;
  const char* site_ = nullptr;
};

struct Warp {
  explicit Warp(int n) : lanes(n), bar(n) {}
  int lanes;
  Barrier bar;
  alignas(16) unsigned char slot[32][16];
};

struct Block {
  explicit Block(int nthreads) : bar(nthreads) {
    for (int base = 0; base < nthreads; base += 32)
      warps.push_back(std::make_unique<Warp>(std::min(32, nthreads - base)));
  }
  Barrier bar;
  std::vector<std::unique_ptr<Warp>> warps;
  int count[3] = {0, 0, 0};  // __syncthreads_count, rotating (see there)
};

inline Block* g_block = nullptr;

}  // namespace emu

inline dim3 blockDim, gridDim;
inline dim3 threadIdx, blockIdx;  // the running fiber's (set by the scheduler)
constexpr int warpSize = 32;

inline void emu_syncthreads(const char* site) { emu::g_block->bar.arrive_and_wait("__syncthreads", site); }
#define EMU_STR2(x) #x
#define EMU_STR(x) EMU_STR2(x)
#define __syncthreads() emu_syncthreads(__FILE__ ":" EMU_STR(__LINE__))
inline int __syncthreads_count(int pred) {
  using namespace emu;
  const int k = g_cur->count_call++ % 3;
  g_block->count[k] += pred ? 1 : 0;
  __syncthreads();
  const int r = g_block->count[k];
  if (g_cur->linear == 0) g_block->count[(k + 1) % 3] = 0;
  __syncthreads();
  return r;
}
inline int __syncthreads_or(int pred) { return __syncthreads_count(pred) != 0; }
inline int __syncthreads_and(int pred) {
  return __syncthreads_count(pred) == static_cast<int>(blockDim.x * blockDim.y * blockDim.z);
}

inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }

namespace emu {

inline Warp& my_warp(unsigned mask, const char* what) {
  Warp& w = *g_block->warps[emu::g_cur->linear / 32];
  if (mask == 0xffffffffu && (w.lanes != 32 || w.bar.expected() != 32)) {
    std::fprintf(stderr, "EMU ERROR: %s with a full mask in a warp of %d live lanes (of %d): undefined on a GPU\n",
                 what, w.bar.expected(), w.lanes);
    std::_Exit(3);
  }
  return w;
}

// Every participating lane publishes v, then reads lane src's value.
template <class T>
T exchange(unsigned mask, T v, int src, const char* what) {
  static_assert(sizeof(T) <= 16 && std::is_trivially_copyable_v<T>);
  Warp& w = my_warp(mask, what);
  const int lane = emu::g_cur->linear % 32;
  std::memcpy(w.slot[lane], &v, sizeof(T));
  w.bar.arrive_and_wait("warp shuffle deadlock (divergent shuffle?)");
  T r = v;
  if (src >= 0 && src < w.lanes) std::memcpy(&r, w.slot[src], sizeof(T));
  w.bar.arrive_and_wait("warp shuffle deadlock (divergent shuffle?)");
  return r;
}

}  // namespace emu

template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = emu::g_cur->linear % 32;
  int src = lane ^ lane_mask;
  if (src / width != lane / width) src = lane;
  return emu::exchange(mask, v, src, "__shfl_xor_sync");
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = emu::g_cur->linear % 32;
  int src = lane + static_cast<int>(delta);
  if (src / width != lane / width) src = lane;
  return emu::exchange(mask, v, src, "__shfl_down_sync");
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = emu::g_cur->linear % 32;
  int src = lane - static_cast<int>(delta);
  if (src < 0 || src / width != lane / width) src = lane;
  return emu::exchange(mask, v, src, "__shfl_up_sync");
}
template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  const int lane = emu::g_cur->linear % 32;
  return emu::exchange(mask, v, (lane / width) * width + src_lane % width, "__shfl_sync");
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
  emu::Warp& w = emu::my_warp(mask, "__ballot_sync");
  const int lane = emu::g_cur->linear % 32;
  const int one = pred ? 1 : 0;
  std::memcpy(w.slot[lane], &one, sizeof(int));
  w.bar.arrive_and_wait("__ballot_sync deadlock");
  unsigned r = 0;
  for (int l = 0; l < w.lanes; ++l) {
    int p;
    std::memcpy(&p, w.slot[l], sizeof(int));
    if (p) r |= 1u << l;
  }
  w.bar.arrive_and_wait("__ballot_sync deadlock");
  return r & mask;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == __ballot_sync(mask, 1); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  emu::my_warp(mask, "__syncwarp").bar.arrive_and_wait("__syncwarp deadlock");
}

inline int __popc(unsigned v) { return std::popcount(v); }
inline int __popcll(unsigned long long v) { return std::popcount(v); }
inline int __clz(int v) { return v == 0 ? 32 : std::countl_zero(static_cast<unsigned>(v)); }
inline int __ffs(int v) { return v == 0 ? 0 : std::countr_zero(static_cast<unsigned>(v)) + 1; }
template <class T>
T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }

template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
template <class T>
T atomicCAS(T* p, T expected, T desired) {
  const T old = *p;
  if (old == expected) *p = desired;
  return old;
}
template <class T>
T atomicExch(T* p, T v) {
  const T old = *p;
  *p = v;
  return old;
}
template <class T>
T atomicMax(T* p, T v) {
  const T old = *p;
  if (old < v) *p = v;
  return old;
}

namespace emu {

inline int64_t g_launches = 0;

// The order the scheduler resumes threads in (CUDA_EMU_ORDER=forward|reverse|shuffle). Threads
// switch only at barriers, so a race between two threads that no barrier separates resolves the
// same way every run in one order; running the checks in another order exposes it.
enum class Order { Forward, Reverse, Shuffle };
inline Order order_from_env() {
  const char* e = std::getenv("CUDA_EMU_ORDER");
  if (!e || !std::strcmp(e, "forward")) return Order::Forward;
  if (!std::strcmp(e, "reverse")) return Order::Reverse;
  if (!std::strcmp(e, "shuffle")) return Order::Shuffle;
  fail("CUDA_EMU_ORDER must be forward, reverse or shuffle");
}
inline Order g_order = order_from_env();
inline std::mt19937 g_rng(12345);

inline std::function<void(int)> g_fiber_main;
// Every fiber starts here (start_context) and ends by going back to the scheduler for good.
inline void fiber_entry() {
  g_fiber_main(g_cur->linear);
  switch_to(g_cur->ctx, g_sched_ctx);
  fail("a finished fiber was resumed");
}

// Note [How a launch is emulated]. `body` calls the kernel with its arguments.
// The limits of an sm_90 part that a launch must respect (the driver refuses the others).
inline bool launch_fits(dim3 grid, dim3 block, size_t dynamic_smem) {
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  return threads >= 1 && threads <= 1024 && block.x <= 1024 && block.y <= 1024 && block.z <= 64 &&
         grid.x >= 1 && grid.y >= 1 && grid.z >= 1 && grid.x <= 0x7fffffffu && grid.y <= 65535 &&
         grid.z <= 65535 && dynamic_smem <= 48 * 1024;
}

template <class F>
void launch(dim3 grid, dim3 block, size_t dynamic_smem, const F& body) {
  if (!launch_fits(grid, block, dynamic_smem)) fail("launch: the grid, block or shared memory is past the device's limits");
  const int nthreads = static_cast<int>(block.x * block.y * block.z);
  ++g_launches;
  blockDim = block;
  gridDim = grid;
  const int64_t nblocks = int64_t(grid.x) * grid.y * grid.z;
  Barrier gate(nthreads);
  std::unique_ptr<Block> current;
  std::vector<Fiber> fibers(nthreads);
  g_fiber_main = [&](int t) {
    Fiber& me = fibers[t];
    for (int64_t b = 0; b < nblocks; ++b) {
      if (t == 0) {
        current = std::make_unique<Block>(nthreads);
        g_block = current.get();
        blockIdx = dim3(unsigned(b % grid.x), unsigned((b / grid.x) % grid.y), unsigned(b / (int64_t(grid.x) * grid.y)));
      }
      gate.arrive_and_wait("launch gate");
      me.count_call = 0;
      body();
      current->warps[t / 32]->bar.arrive_and_drop();
      current->bar.arrive_and_drop();
      gate.arrive_and_wait("launch gate");
    }
    me.done = true;
    ++g_progress;
  };
  constexpr size_t kStack = 128 * 1024;
  // The fibers' stacks outlive the launch: one launch runs at a time, and the emulated device
  // makes thousands of them, so allocating 256 stacks for each would dominate its run time.
  static std::vector<std::unique_ptr<char[]>> stacks;
  while (static_cast<int>(stacks.size()) < nthreads) stacks.emplace_back(new char[kStack]);
  for (int t = 0; t < nthreads; ++t) {
    Fiber& f = fibers[t];
    f.linear = t;
    f.tid = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
    start_context(f.ctx, stacks[t].get(), kStack, &fiber_entry);
  }
  std::vector<int> order(nthreads);
  for (int t = 0; t < nthreads; ++t) order[t] = g_order == Order::Reverse ? nthreads - 1 - t : t;
  // Note [Scheduling the threads]: always resume the first thread in `order` that can run, so
  // the first warps race ahead as far as they can (through their own barriers, into the next
  // row) before the others move: the most hostile interleaving for a kernel that reuses shared
  // memory without a barrier. A deadlock is a state where no unfinished thread can run.
  std::vector<int> runnable;
  // Where the ordered scan starts. A waiting thread becomes runnable only when a barrier releases
  // (g_progress moves), so while nothing was released the threads before the last pick are still
  // waiting and need not be looked at again: a phase of n arrivals costs O(n), not O(n^2).
  size_t scan_from = 0;
  uint64_t seen_progress = g_progress;
  for (int finished = 0; finished < nthreads;) {
    Fiber* pick = nullptr;
    if (g_order == Order::Shuffle) {
      runnable.clear();
      for (int t = 0; t < nthreads; ++t) {
        Fiber& f = fibers[t];
        if (!f.done && !(f.waiting_on && f.waiting_on->gen() == f.wait_gen)) runnable.push_back(t);
      }
      if (!runnable.empty()) pick = &fibers[runnable[g_rng() % runnable.size()]];
    } else {
      if (g_progress != seen_progress) scan_from = 0;
      seen_progress = g_progress;
      for (size_t k = scan_from; k < order.size(); ++k) {
        Fiber& f = fibers[order[k]];
        if (f.done || (f.waiting_on && f.waiting_on->gen() == f.wait_gen)) continue;
        pick = &f;
        scan_from = k;
        break;
      }
    }
    if (!pick) {
      for (auto& f : fibers)
        if (!f.done) std::fprintf(stderr, "  thread %d waits at: %s\n", f.linear, f.what ? f.what : "?");
      fail("deadlock: every live thread waits at a barrier that cannot complete (divergent barrier?)");
    }
    pick->waiting_on = nullptr;
    g_cur = pick;
    threadIdx = pick->tid;
    switch_to(g_sched_ctx, pick->ctx);
    if (pick->done) ++finished;
    if (g_progress != seen_progress) scan_from = 0, seen_progress = g_progress;
  }
  g_cur = nullptr;
  g_block = nullptr;
}

// What a launch rewritten by preprocess.py calls: `kernel<<<grid, block, smem, stream>>>(a, b)`
// becomes launch_args(grid, block, smem, stream, [=](auto... k) { kernel(k...); }, a, b). The
// arguments are evaluated and copied here, at the launch, as CUDA copies a kernel's parameters.
// Inside ember's extension built for the emulated device (EMBER_CUDA=EMU) the launch is checked
// against the device's limits, as the driver checks it (a bad one sets cudaErrorInvalidConfiguration
// and runs nothing), and queued on the stream to run later (Note [The emulated device]); in the
// kernel checks of run.py (no device) it runs at once and a bad shape is an emulator error.
using Submit = void (*)(cudaStream_t, std::function<void()>, const char* what);
inline Submit g_submit = nullptr;


template <class Kernel, class... Args>
void launch_args(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Kernel kernel, Args... args) {
  if (!g_submit) return launch(grid, block, smem, [&] { kernel(args...); });
  if (!launch_fits(grid, block, smem)) {
    set_error(cudaErrorInvalidConfiguration);
    return;
  }
  g_submit(stream, [=] { launch(grid, block, smem, [&] { kernel(args...); }); }, "kernel");
}

}  // namespace emu
