// The event list of Note [The profiler] (core/profiler.h).
#include "core/profiler.h"

#include <chrono>

#include "core/cuda_backend.h"
#include <mutex>

namespace ember::profiler {

namespace {
std::mutex g_mu;
std::vector<Event> g_events;
std::atomic<int64_t> g_origin{0};
std::atomic<bool> g_shapes{false};
std::atomic<uint32_t> g_threads{0};

// A CUDA kernel waiting for its device time: the numbers of the timing events around its launch.
struct DeviceSpan {
  std::string name;
  int device;
  uint32_t thread;
  int64_t start_mark, end_mark;
};
std::vector<DeviceSpan> g_spans;  // the launch number is the index + 1

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
    case Kind::DeviceKernel: return "device_kernel";
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

int64_t begin_device_span(int device) { return cuda::record_timing_event(device); }

uint64_t end_device_span(const char* name, int device, int64_t start_mark) {
  const int64_t end_mark = cuda::record_timing_event(device);
  if (end_mark < 0) return 0;
  const uint32_t thread = thread_number();
  std::lock_guard<std::mutex> lock(g_mu);
  if (!on()) return 0;
  g_spans.push_back({name, device, thread, start_mark, end_mark});
  return g_spans.size();
}

bool start(bool shapes) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (on()) return false;
  g_events.clear();
  g_spans.clear();
  cuda::collect_timing_events();  // drops any event a launch recorded as the last profile closed
  g_shapes.store(shapes, std::memory_order_relaxed);
  g_origin.store(steady_ns(), std::memory_order_relaxed);
  g_on.store(true, std::memory_order_relaxed);
  return true;
}

std::vector<Event> stop() {
  std::vector<Event> events;
  std::vector<DeviceSpan> spans;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_on.store(false, std::memory_order_relaxed);
    events = std::move(g_events);
    spans = std::move(g_spans);
  }
  // Read outside the lock: it waits for the devices. Called even with no spans, so that a timing
  // event recorded by a launch that ended after the profile closed is released too.
  const std::vector<int64_t> times = cuda::collect_timing_events();
  for (size_t i = 0; i < spans.size(); ++i) {
    const DeviceSpan& d = spans[i];
    const auto at = [&](int64_t mark) { return mark >= 0 && mark < (int64_t)times.size() ? times[mark] : -1; };
    const int64_t begin = at(d.start_mark), end = at(d.end_mark);
    if (begin < 0 || end < begin) continue;
    events.push_back({Kind::DeviceKernel, d.name, begin, end - begin, d.thread, d.device, 0, i + 1, {}});
  }
  return events;
}

}  // namespace ember::profiler
