// Page-locked (pinned) host memory, cached.
//
// Note [Pinned blocks are cached]
// A data loader pins every batch: cudaHostAlloc and cudaFreeHost per batch would cost two driver
// calls, and cudaFreeHost waits for the whole device. So a pinned block given back goes into a
// free list by size class, and the next pin_memory() of that class takes it without a driver call.
// The catch is the asynchronous copy (Note [Host-to-device copies], runtime.cpp): after
// `x = batch.to("cuda", non_blocking=True)` the copy may still be queued when `batch` dies, and
// a block handed out again at once would be overwritten before the copy read it. So every
// non_blocking copy out of a block records an event on the stream it was queued on
// (record_pinned_use), and a freed block waits in `waiting` until all its events have passed
// (cudaEventQuery, which never blocks); blocking copies have already waited for their copy.
// empty_pinned_cache() gives the free blocks back to the driver.
#include <map>
#include <mutex>
#include <vector>

#include "core/cuda/cuda_check.h"
#include "core/cuda_backend.h"

namespace ember::cuda {

namespace {

struct PinnedBlock {
  size_t size;                      // the size class
  std::vector<cudaEvent_t> uses;    // copies queued from it since it was handed out
};

struct PinnedCache {
  std::mutex mu;
  std::map<uintptr_t, PinnedBlock> blocks;              // every block ember holds, live or cached
  std::map<size_t, std::vector<void*>> free_blocks;     // ready for reuse, by size class
  std::vector<void*> waiting;                           // freed, a queued copy may still read it
  std::vector<cudaEvent_t> spare_events;
};

// Never destroyed: a pinned tensor freed during interpreter shutdown still gives its block back.
PinnedCache& cache() {
  static auto* c = new PinnedCache;
  return *c;
}

// True once every copy queued from the block has run; recycles the events then.
bool copies_done(PinnedCache& c, PinnedBlock& b) {
  for (cudaEvent_t e : b.uses) {
    cudaError_t r = cudaEventQuery(e);
    if (r == cudaErrorNotReady) return false;
    if (r != cudaSuccess) cudaGetLastError();
  }
  c.spare_events.insert(c.spare_events.end(), b.uses.begin(), b.uses.end());
  b.uses.clear();
  return true;
}

// Moves the waiting blocks whose copies have run to the free lists. Called with the lock held.
void collect_waiting(PinnedCache& c) {
  std::vector<void*> still;
  for (void* p : c.waiting) {
    PinnedBlock& b = c.blocks.at(reinterpret_cast<uintptr_t>(p));
    if (copies_done(c, b)) c.free_blocks[b.size].push_back(p);
    else still.push_back(p);
  }
  c.waiting.swap(still);
}

void give_back(void* p) {
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  PinnedBlock& b = c.blocks.at(reinterpret_cast<uintptr_t>(p));
  if (b.uses.empty()) c.free_blocks[b.size].push_back(p);
  else c.waiting.push_back(p);
}

}  // namespace

std::shared_ptr<void> allocate_pinned(size_t nbytes) {
  check_device("pin_memory", Device{DeviceType::CUDA, 0});
  const size_t size = size_class(nbytes, 4096);  // whole pages
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  collect_waiting(c);
  void* p = nullptr;
  auto hit = c.free_blocks.find(size);
  if (hit != c.free_blocks.end() && !hit->second.empty()) {
    p = hit->second.back();
    hit->second.pop_back();
  } else {
    count_allocator_call();
    EMBER_CUDA_CHECK(cudaHostAlloc(&p, size, cudaHostAllocDefault));
    c.blocks.emplace(reinterpret_cast<uintptr_t>(p), PinnedBlock{size, {}});
  }
  return std::shared_ptr<void>(p, give_back);
}

void record_pinned_use(const void* host_ptr, cudaStream_t stream) {
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  const auto a = reinterpret_cast<uintptr_t>(host_ptr);
  auto it = c.blocks.upper_bound(a);
  if (it == c.blocks.begin()) return;
  --it;
  if (a >= it->first + it->second.size) return;  // pinned by someone else: not ember's to cache
  cudaEvent_t e;
  if (c.spare_events.empty()) {
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  } else {
    e = c.spare_events.back();
    c.spare_events.pop_back();
  }
  EMBER_CUDA_CHECK(cudaEventRecord(e, stream));
  it->second.uses.push_back(e);
}

void empty_pinned_cache() {
  if (!is_available()) return;
  PinnedCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  collect_waiting(c);
  for (auto& [size, list] : c.free_blocks) {
    for (void* p : list) {
      count_allocator_call();
      if (cudaFreeHost(p) != cudaSuccess) cudaGetLastError();
      c.blocks.erase(reinterpret_cast<uintptr_t>(p));
    }
  }
  c.free_blocks.clear();
}

}  // namespace ember::cuda
