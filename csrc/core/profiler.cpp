// The event list of Note [The profiler] (core/profiler.h).
#include "core/profiler.h"

#include <chrono>
#include <mutex>

namespace ember::profiler {

namespace {
std::mutex g_mu;
std::vector<Event> g_events;
std::atomic<int64_t> g_origin{0};
std::atomic<bool> g_shapes{false};
std::atomic<uint32_t> g_threads{0};

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint32_t thread_number() {
  thread_local uint32_t n = ++g_threads;
  return n;
}
}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Kernel: return "kernel";
    case Kind::Forward: return "forward";
    case Kind::Backward: return "backward";
    case Kind::Alloc: return "alloc";
    case Kind::Free: return "free";
    case Kind::Transfer: return "transfer";
    case Kind::Sync: return "sync";
    case Kind::User: return "user";
  }
  return "?";
}

bool record_shapes() { return g_shapes.load(std::memory_order_relaxed); }

int64_t now_ns() { return steady_ns() - g_origin.load(std::memory_order_relaxed); }

void add(Kind kind, std::string name, int64_t start_ns, int64_t dur_ns, int device, int64_t bytes, uint64_t seq,
         std::string detail) {
  const uint32_t thread = thread_number();
  std::lock_guard<std::mutex> lock(g_mu);
  if (!on()) return;  // the profile closed while this event was being made
  g_events.push_back({kind, std::move(name), start_ns, dur_ns, thread, device, bytes, seq, std::move(detail)});
}

bool start(bool shapes) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (on()) return false;
  g_events.clear();
  g_shapes.store(shapes, std::memory_order_relaxed);
  g_origin.store(steady_ns(), std::memory_order_relaxed);
  g_on.store(true, std::memory_order_relaxed);
  return true;
}

std::vector<Event> stop() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_on.store(false, std::memory_order_relaxed);
  return std::move(g_events);
}

}  // namespace ember::profiler
