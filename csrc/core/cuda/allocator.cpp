// Device and pinned host memory.
//
// Note [Device memory comes from a pool]
// Tensors get device memory from the device's stream-ordered pool (cudaMallocAsync on ember's one
// stream per device), with the pool's release threshold raised to "never", so freed blocks stay
// cached in the pool and the next allocation of a similar size reuses them without asking the
// driver: no cudaMalloc/cudaFree per op, and no sync on free (cudaFreeAsync is ordered after
// the kernels already queued that still read the block). empty_cache() trims the pool.
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "core/cuda/cuda_check.h"
#include "core/cuda_backend.h"

namespace ember::cuda {

namespace {

constexpr int kMaxDevices = 64;

struct PoolCounters {
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> peak{0};
  std::atomic<bool> configured{false};
};

// Never destroyed: a tensor freed during interpreter shutdown still updates its counters.
PoolCounters* counters() {
  static auto* c = new std::array<PoolCounters, kMaxDevices>();
  return c->data();
}
std::mutex configure_mutex;

cudaMemPool_t pool_of(int index) {
  cudaMemPool_t pool;
  EMBER_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, index));
  return pool;
}

void configure_pool(int index) {
  PoolCounters& c = counters()[index];
  if (c.configured.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(configure_mutex);
  if (c.configured.load(std::memory_order_relaxed)) return;
  uint64_t keep_everything = UINT64_MAX;
  EMBER_CUDA_CHECK(cudaMemPoolSetAttribute(pool_of(index), cudaMemPoolAttrReleaseThreshold, &keep_everything));
  c.configured.store(true, std::memory_order_release);
}

void track(PoolCounters& c, int64_t bytes) {
  int64_t now = c.allocated.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::shared_ptr<void> allocate(size_t nbytes, int index) {
  check_device("allocate", Device{DeviceType::CUDA, index});
  use_device(index);
  configure_pool(index);
  cudaStream_t stream = stream_of(index);
  size_t rounded = (nbytes + 255) / 256 * 256;  // never 0 bytes; whole 256-byte units
  if (rounded == 0) rounded = 256;
  void* p = nullptr;
  count_allocator_call();
  cudaError_t err = cudaMallocAsync(&p, rounded, stream);
  if (err == cudaErrorMemoryAllocation) {
    // The pool keeps freed blocks (Note [Device memory comes from a pool]), so blocks of other
    // sizes may be what fills the device: as PyTorch's allocator does, give the cache back to the
    // driver (after the frees queued on the stream have landed in it) and try once more.
    cudaGetLastError();
    synchronize(index);
    EMBER_CUDA_CHECK(cudaMemPoolTrimTo(pool_of(index), 0));
    count_allocator_call();
    err = cudaMallocAsync(&p, rounded, stream);
  }
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    DeviceMemoryStats s = memory_stats(index);
    fail(ErrorKind::Memory, "[allocate] CUDA out of memory: tried to allocate ", nbytes, " bytes on cuda:", index,
         " (", s.allocated, " bytes allocated by tensors, ", s.reserved, " reserved by ember's pool)");
  }
  EMBER_CUDA_CHECK(err);
  PoolCounters& c = counters()[index];
  track(c, static_cast<int64_t>(rounded));
  // A deleter must not throw: errors here (the runtime already unloaded at exit) are dropped.
  return std::shared_ptr<void>(p, [stream, rounded, &c](void* q) {
    count_allocator_call();
    if (cudaFreeAsync(q, stream) != cudaSuccess) cudaGetLastError();
    c.allocated.fetch_sub(static_cast<int64_t>(rounded), std::memory_order_relaxed);
  });
}

std::shared_ptr<void> allocate_pinned(size_t nbytes) {
  check_device("pin_memory", Device{DeviceType::CUDA, 0});
  void* p = nullptr;
  count_allocator_call();
  EMBER_CUDA_CHECK(cudaHostAlloc(&p, nbytes == 0 ? 64 : nbytes, cudaHostAllocDefault));
  // See Note [Host-to-device copies]: a copy queued from this block may not have run yet, so
  // the device finishes its queued work before the block goes back to the driver.
  return std::shared_ptr<void>(p, [](void* q) {
    if (cudaDeviceSynchronize() != cudaSuccess) cudaGetLastError();
    count_allocator_call();
    if (cudaFreeHost(q) != cudaSuccess) cudaGetLastError();
  });
}

DeviceMemoryStats memory_stats(int index) {
  if (index < 0 || index >= device_count()) return {0, 0, 0};
  PoolCounters& c = counters()[index];
  uint64_t reserved = 0;
  if (c.configured.load()) EMBER_CUDA_CHECK(cudaMemPoolGetAttribute(pool_of(index), cudaMemPoolAttrReservedMemCurrent, &reserved));
  return {c.allocated.load(), c.peak.load(), static_cast<int64_t>(reserved)};
}

void reset_peak_memory(int index) {
  if (index < 0 || index >= device_count()) return;
  PoolCounters& c = counters()[index];
  c.peak.store(c.allocated.load());
}

void empty_cache(int index) {
  if (index < 0 || index >= device_count() || !counters()[index].configured.load()) return;
  synchronize(index);  // frees queued on the stream must have happened before the trim sees them
  EMBER_CUDA_CHECK(cudaMemPoolTrimTo(pool_of(index), 0));
}

}  // namespace ember::cuda
