// Note [The profiler]
// ember.profiler records what the native engine does while a profile is open: each kernel call
// (CPU, or a CUDA launch timed on the host and, as a device_kernel event, on the device: Note
// [Kernel time on the device], core/cuda/kernel_timer.cpp), each autograd node that runs in backward, each node
// made in forward (an instant, with its inputs' shapes when asked), allocations and frees (CPU and
// CUDA, with bytes), host<->device transfers (bytes, direction, pinned) and syncs, and the ranges
// the user opens (record_function). A forward node and its backward share the node's sequence
// number, which links them in the Chrome trace; a CUDA launch and its device time share a launch
// number (their seq) the same way.
// When no profile is open, every hook costs one relaxed atomic load and a branch (Range below):
// the hooks sit on paths that already cost far more (a kernel call, an allocation). Events go to
// one mutex-guarded list, only while a profile is open.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ember::profiler {

enum class Kind : uint8_t { Kernel, DeviceKernel, Forward, Backward, Alloc, Free, Transfer, Sync, User };
const char* kind_name(Kind kind);

struct Event {
  Kind kind;
  std::string name;
  int64_t start_ns;     // since the profile began
  int64_t dur_ns;       // 0 for an instant
  uint32_t thread;      // 1, 2, ... in the order threads first recorded
  int device;           // -1: the CPU; else the CUDA ordinal
  int64_t bytes;        // Alloc, Free, Transfer
  uint64_t seq;         // Forward, Backward: the node's sequence number; a CUDA kernel: its launch number; else 0
  std::string detail;   // Forward: input shapes; Transfer: direction and pinned
};

inline std::atomic<bool> g_on{false};
inline bool on() { return g_on.load(std::memory_order_relaxed); }
bool record_shapes();

int64_t now_ns();
void add(Kind kind, std::string name, int64_t start_ns, int64_t dur_ns, int device = -1, int64_t bytes = 0,
         uint64_t seq = 0, std::string detail = {});
inline void instant(Kind kind, std::string name, int device = -1, int64_t bytes = 0, uint64_t seq = 0,
                    std::string detail = {}) {
  add(kind, std::move(name), now_ns(), 0, device, bytes, seq, std::move(detail));
}

// A CUDA kernel's device time (Note [Kernel time on the device]): a timing event before its launch,
// and after it, the second event and the span between them. Returns the launch number (0: none).
int64_t begin_device_span(int device);
uint64_t end_device_span(const char* name, int device, int64_t start_mark);

// A timed range with a static name, recorded when it ends if a profile was open when it began. A
// kernel range on a CUDA device is timed on the device too.
class Range {
 public:
  Range(Kind kind, const char* name, int device = -1)
      : kind_(kind), device_(device), name_(name), start_(on() ? now_ns() : -1) {
    if (start_ >= 0 && kind == Kind::Kernel && device >= 0) mark_ = begin_device_span(device);
  }
  ~Range() {
    if (start_ < 0) return;
    const uint64_t launch = mark_ >= 0 ? end_device_span(name_, device_, mark_) : 0;
    add(kind_, name_, start_, now_ns() - start_, device_, 0, launch);
  }
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

 private:
  Kind kind_;
  int device_;
  const char* name_;
  int64_t start_;
  int64_t mark_ = -1;
};

// Opens a profile (dropping any events of an earlier one); false if one is open already.
bool start(bool record_shapes);
// Closes the open profile and returns its events: the host's in the order they ended, then the
// CUDA kernels' device times (which waits for the devices to reach them).
std::vector<Event> stop();

}  // namespace ember::profiler
