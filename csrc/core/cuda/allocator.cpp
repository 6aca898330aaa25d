// Device memory: a caching allocator on the host.
//
// Note [The caching allocator]
// A training step frees and allocates the same sizes every step, and a driver allocation costs
// microseconds. So each device keeps the blocks its tensors give back, in free lists keyed by
// (stream, size class): an allocation looks there first and asks the driver (cudaMalloc) only on
// a miss, and after the first step a step makes no driver call at all (allocator_calls counts the
// driver calls; tests/test_cuda_step_budget.py holds a step to zero).
// A freed block is reusable at once, with no wait, by the stream it was used on: whatever that
// stream runs next runs after the kernels that still read the block. ember queues every kernel
// on one stream per device; work on another stream that reads a block (a peer copy) makes the
// block's stream wait for it first (runtime.cpp: copy_bytes).
// Size classes: 512-byte steps below 1 MiB, four steps per power of two above it, so a block is
// at most a quarter larger than asked for; only a block of the same class is reused (no splitting).
// Out of memory: every cached block goes back to the driver and the allocation is tried once more,
// then OutOfMemoryError names the numbers (num_alloc_retries and num_ooms count both).
// ember uses cudaMalloc/cudaFree, not the driver's default stream-ordered pool, so it changes no
// setting that another library in the process sees.
// CUDA graphs (Note [Capturing a step], graph.cpp): while a capture runs on a device, its
// allocations come from the graph's own pool, free lists keyed by the pool instead of the stream,
// and blocks freed during the capture go back there: a replay writes into the same addresses the
// capture did, so nothing else may take them while a graph holds the pool. When the last graph
// lets go of its pool, the pool's blocks join the stream's free lists.
// On the emulated device a block taken from the cache is poisoned like a fresh one (0xff bytes:
// NaN) and one put back like a freed one (0xfe), in stream order, so a kernel that reads memory it
// did not write still gets visibly wrong numbers (Note [The emulated device]).
#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/cuda/cuda_check.h"
#include "core/cuda/graph_pool.h"
#include "core/cuda_backend.h"

namespace ember::cuda {

namespace {

constexpr int kMaxDevices = 64;

// Free lists are keyed by their owner (a stream, or a graph pool's id) and the size class.
using Owner = uintptr_t;

struct DeviceCache {
  std::mutex mu;
  std::map<std::pair<Owner, size_t>, std::vector<void*>> free_blocks;
  DeviceMemoryStats stats{};
  int64_t capture_pool = 0;       // while a capture runs on this device: the pool it allocates from
  std::map<int64_t, int> holders;  // graph pools of this device and how many graphs (or captures) hold each
};

Owner owner_of(cudaStream_t stream) { return reinterpret_cast<Owner>(stream); }

// Never destroyed: a tensor freed during interpreter shutdown still gives its block back here.
DeviceCache& cache_of(int index) {
  static auto* caches = new std::array<DeviceCache, kMaxDevices>();
  return (*caches)[index];
}

void poison(void* p, size_t nbytes, int byte, cudaStream_t stream) {
#ifdef EMBER_CUDA_EMULATED
  if (cudaMemsetAsync(p, byte, nbytes, stream) != cudaSuccess) cudaGetLastError();
#else
  (void)p, (void)nbytes, (void)byte, (void)stream;
#endif
}

// Gives every cached block of the device back to the driver (cudaFree waits for the device first,
// so no queued kernel still uses one). Called with the cache's lock held.
void release_cached(DeviceCache& c) {
  for (auto& [key, blocks] : c.free_blocks) {
    for (void* p : blocks) {
      count_allocator_call();
      if (cudaFree(p) != cudaSuccess) cudaGetLastError();
      c.stats.reserved -= static_cast<int64_t>(key.second);
      ++c.stats.num_device_free;
    }
  }
  c.free_blocks.clear();
}

// A block of a graph pool goes back to the pool while a graph holds it, else to its stream.
void give_back(int index, cudaStream_t stream, int64_t pool, size_t rounded, void* p) {
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  // Not during a capture: the memset would be recorded into the graph and rerun at every replay,
  // into a block that may belong to other work by then.
  if (c.capture_pool == 0) poison(p, rounded, 0xfe, stream);
  const bool pooled = pool != 0 && c.holders.count(pool) > 0;
  c.free_blocks[{pooled ? Owner(pool) : owner_of(stream), rounded}].push_back(p);
  c.stats.allocated -= static_cast<int64_t>(rounded);
}

}  // namespace

size_t size_class(size_t nbytes, size_t step) {
  constexpr size_t kLarge = size_t(1) << 20;
  if (nbytes <= kLarge) return nbytes == 0 ? step : (nbytes + step - 1) / step * step;
  size_t power = kLarge;
  while (power * 2 < nbytes) power *= 2;  // power < nbytes <= 2 * power
  step = power / 4;
  return (nbytes + step - 1) / step * step;
}

std::shared_ptr<void> allocate(size_t nbytes, int index) {
  check_device("allocate", Device{DeviceType::CUDA, index});
  use_device(index);
  cudaStream_t stream = stream_of(index);
  const size_t rounded = size_class(nbytes, 512);
  DeviceCache& c = cache_of(index);
  void* p = nullptr;
  int64_t pool = 0;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    pool = c.capture_pool;
    auto hit = c.free_blocks.find({pool ? Owner(pool) : owner_of(stream), rounded});
    if (hit != c.free_blocks.end() && !hit->second.empty()) {
      p = hit->second.back();
      hit->second.pop_back();
      poison(p, rounded, 0xff, stream);
    } else {
      count_allocator_call();
      cudaError_t err = cudaMalloc(&p, rounded);
      if (err == cudaErrorMemoryAllocation && pool == 0) {
        // Blocks of other sizes may be what fills the device: give them back and try once more
        // (not during a capture: cudaFree waits for the device, which a capture forbids).
        cudaGetLastError();
        ++c.stats.num_alloc_retries;
        release_cached(c);
        count_allocator_call();
        err = cudaMalloc(&p, rounded);
      }
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        ++c.stats.num_ooms;
        fail(ErrorKind::Memory, "[allocate] CUDA out of memory: tried to allocate ", nbytes, " bytes on cuda:", index,
             " (", c.stats.allocated, " bytes allocated by tensors, ", c.stats.reserved,
             " reserved by ember's caching allocator)");
      }
      EMBER_CUDA_CHECK(err);
      ++c.stats.num_device_alloc;
      c.stats.reserved += static_cast<int64_t>(rounded);
      c.stats.peak_reserved = std::max(c.stats.peak_reserved, c.stats.reserved);
    }
    c.stats.allocated += static_cast<int64_t>(rounded);
    c.stats.peak_allocated = std::max(c.stats.peak_allocated, c.stats.allocated);
  }
  // A deleter must not throw: nothing in give_back can.
  return std::shared_ptr<void>(p, [index, stream, pool, rounded](void* q) { give_back(index, stream, pool, rounded, q); });
}

int64_t hold_graph_pool(int index, int64_t pool) {
  static std::atomic<int64_t> next_pool{1};
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  if (pool == 0) pool = next_pool.fetch_add(1);
  ++c.holders[pool];
  return pool;
}

void release_graph_pool(int index, int64_t pool) {
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.holders.find(pool);
  if (it == c.holders.end() || --it->second > 0) return;
  c.holders.erase(it);
  // No graph can replay into the pool's blocks any more: they join the stream's free lists (work
  // queued later on the stream runs after any replay queued before).
  const Owner stream = owner_of(stream_of(index));
  for (auto at = c.free_blocks.begin(); at != c.free_blocks.end();) {
    if (at->first.first != Owner(pool)) {
      ++at;
      continue;
    }
    auto& into = c.free_blocks[{stream, at->first.second}];
    into.insert(into.end(), at->second.begin(), at->second.end());
    at = c.free_blocks.erase(at);
  }
}

void set_capture_pool(int index, int64_t pool) {
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  c.capture_pool = pool;
}

DeviceMemoryStats memory_stats(int index) {
  if (index < 0 || index >= device_count()) return {};
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void reset_peak_memory(int index) {
  if (index < 0 || index >= device_count()) return;
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.peak_allocated = c.stats.allocated;
  c.stats.peak_reserved = c.stats.reserved;
}

void empty_cache(int index) {
  if (index < 0 || index >= device_count()) return;
  synchronize(index);  // counted as the wait it is; it also raises what a kernel reported
  DeviceCache& c = cache_of(index);
  std::lock_guard<std::mutex> lock(c.mu);
  release_cached(c);
}

}  // namespace ember::cuda
