// Note [The profiler]
// ember.profiler records what the native engine does while a profile is open: each kernel call
// (CPU, or a CUDA launch, timed on the host), each autograd node that runs in backward, each node
// made in forward (an instant, with its inputs' shapes when asked), allocations and frees (CPU and
// CUDA, with bytes), host<->device transfers (bytes, direction, pinned) and syncs, and the ranges
// the user opens (record_function). A forward node and its backward share the node's sequence
// number, which links them in the Chrome trace.
// When no profile is open, every hook costs one relaxed atomic load and a branch (Range below):
// the hooks sit on paths that already cost far more (a kernel call, an allocation). Events go to
// one mutex-guarded list, only while a profile is open.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace ember::profiler {

enum class Kind : uint8_t { Kernel, Forward, Backward, Alloc, Free, Transfer, Sync, User };
const char* kind_name(Kind kind);

struct Event {
  Kind kind;
  std::string name;
  int64_t start_ns;     // since the profile began
  int64_t dur_ns;       // 0 for an instant
  uint32_t thread;      // 1, 2, ... in the order threads first recorded
  int device;           // -1: the CPU; else the CUDA ordinal
  int64_t bytes;        // Alloc, Free, Transfer
  uint64_t seq;         // Forward, Backward: the node's sequence number; else 0
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

// A timed range with a static name, recorded when it ends if a profile was open when it began.
class Range {
 public:
  Range(Kind kind, const char* name, int device = -1)
      : kind_(kind), device_(device), name_(name), start_(on() ? now_ns() : -1) {}
  ~Range() {
    if (start_ >= 0) add(kind_, name_, start_, now_ns() - start_, device_);
  }
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

 private:
  Kind kind_;
  int device_;
  const char* name_;
  int64_t start_;
};

// Opens a profile (dropping any events of an earlier one); false if one is open already.
bool start(bool record_shapes);
// Closes the open profile and returns its events in the order they ended.
std::vector<Event> stop();

}  // namespace ember::profiler
