// Note [Kernel time on the device]
// The profiler (Note [The profiler], core/profiler.h) times a CUDA kernel twice. On the host, from
// the launch to the launch's return: a few microseconds, whatever the kernel does, because a launch
// only queues work. On the device, between two events recorded on the device's stream around the
// launch: what the kernel itself took, once the stream got to it.
// cudaEventElapsedTime gives only the distance between two events, so the first event of a profile
// on each device is an anchor: recorded once the stream has drained, it completes at once, at a
// host time known to within the few microseconds the record and the wait take. Every later event's
// time is the anchor's host time plus its distance from the anchor, on the profiler's clock. The
// anchor costs one wait for the device per profile; the other events are read when the profile
// stops, so profiling adds no wait to the steps it records.
// A stream being captured into a CUDA graph gets no timing events (they would become nodes of the
// graph, and a replay would record them again): captured kernels are timed on the host only.
// Nothing here raises: the calls come from a destructor (profiler::Range), so a failed CUDA call
// leaves the kernel without a device time instead.
#include <array>
#include <mutex>
#include <vector>

#include "core/cuda/cuda_check.h"
#include "core/cuda_backend.h"
#include "core/profiler.h"

namespace ember::cuda {

namespace {

constexpr int kMaxTimedDevices = 64;

struct Anchor {
  cudaEvent_t event = nullptr;  // null until the device's first timing event of this profile
  int64_t host_ns = 0;          // when it completed, on the profiler's clock
};

struct TimingEvent {
  int device;
  cudaEvent_t event;
};

std::mutex g_mu;
std::array<Anchor, kMaxTimedDevices> g_anchors;
std::vector<TimingEvent> g_events;  // this profile's, in mark order
std::vector<cudaEvent_t> g_spare;   // created by earlier profiles, reused (creating one costs a driver call)

cudaEvent_t take_event() {
  if (!g_spare.empty()) {
    cudaEvent_t e = g_spare.back();
    g_spare.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  if (cudaEventCreate(&e) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return e;
}

// Drains the stream, then records the anchor and waits for it: it completes between the two host
// clock readings, and the midpoint is its time to within half their distance.
bool place_anchor(int index, cudaStream_t stream) {
  Anchor& a = g_anchors[index];
  if (cudaStreamSynchronize(stream) != cudaSuccess || !(a.event = take_event())) return false;
  const int64_t before = profiler::now_ns();
  if (cudaEventRecord(a.event, stream) != cudaSuccess || cudaEventSynchronize(a.event) != cudaSuccess) {
    g_spare.push_back(a.event);
    a.event = nullptr;
    return false;
  }
  a.host_ns = before + (profiler::now_ns() - before) / 2;
  return true;
}

}  // namespace

int64_t record_timing_event(int index) {
  if (!profiler::on() || index < 0 || index >= kMaxTimedDevices || is_capturing(index)) return -1;
  std::lock_guard<std::mutex> lock(g_mu);
  cudaStream_t stream = stream_of(index);
  if (!g_anchors[index].event && !place_anchor(index, stream)) {
    cudaGetLastError();
    return -1;
  }
  cudaEvent_t e = take_event();
  if (!e) return -1;
  if (cudaEventRecord(e, stream) != cudaSuccess) {
    cudaGetLastError();
    g_spare.push_back(e);
    return -1;
  }
  g_events.push_back({index, e});
  return static_cast<int64_t>(g_events.size()) - 1;
}

std::vector<int64_t> collect_timing_events() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::vector<int64_t> times(g_events.size(), -1);
  for (size_t i = 0; i < g_events.size(); ++i) {
    const Anchor& a = g_anchors[g_events[i].device];
    float ms = 0;
    if (cudaEventSynchronize(g_events[i].event) == cudaSuccess &&
        cudaEventElapsedTime(&ms, a.event, g_events[i].event) == cudaSuccess)
      times[i] = a.host_ns + static_cast<int64_t>(static_cast<double>(ms) * 1e6);
    else
      cudaGetLastError();
    g_spare.push_back(g_events[i].event);
  }
  g_events.clear();
  for (Anchor& a : g_anchors) {
    if (a.event) g_spare.push_back(a.event);
    a = Anchor{};
  }
  return times;
}

}  // namespace ember::cuda
