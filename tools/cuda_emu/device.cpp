// The emulated CUDA device: host implementations of the CUDA runtime calls ember makes
// (cuda_emu_runtime.h), linked into ember's extension when it is built with EMBER_CUDA=EMU.
//
// Note [The emulated device]
// With it the whole GPU path of ember runs on a machine without a GPU: core/cuda/*.cpp (devices,
// streams, the pool, pinned memory, copies, kernel error reports) call these functions, and the
// kernels of kernels/cuda/*.cu run on the fiber emulator (cuda_emu.h). It is strict where real
// hardware is unforgiving, so that what would go wrong on a GPU goes wrong here too:
// - Work is late. A launch, an asynchronous copy, a memset or a stream-ordered free is queued on
//   its stream and runs only when the host waits for that stream (cudaStreamSynchronize, an event
//   it recorded, cudaDeviceSynchronize, a copy to pageable memory), never at the call. A host
//   write into a pinned buffer before the copy that reads it has run is seen by that copy; a host
//   read of device results without a sync reads what was there before.
// - Streams are ordered only by their own queues and by cudaStreamWaitEvent: waiting for one
//   stream runs nothing queued on another, so a missing cross-stream wait shows as stale data.
// - Memory is poisoned: fresh device and pinned blocks are filled with 0xff bytes (NaN for
//   floats, -1 for integers), freed device blocks with 0xfe and held back a while before the host
//   reuses them, so reading unwritten or freed memory gives visibly wrong numbers.
// - Calls are checked as the driver checks them: a copy whose direction does not match its
//   pointers, a device range outside one live block, freeing what was not allocated, a launch
//   past the limits of an sm_90 part (cuda_emu.h: launch_fits), an unknown device, all fail with
//   CUDA's error codes instead of doing something.
// - Capture is strict too: a stream being captured into a graph (cudaStreamBeginCapture) records
//   its launches, copies and memsets instead of queueing them, and a call that would wait for it
//   (a stream or device sync, a copy to pageable memory, cudaFree) or copy from pageable memory
//   fails with cudaErrorStreamCaptureUnsupported and invalidates the capture, as the driver does.
//   cudaGraphLaunch queues the recorded work again, with the same arguments.
// One lock guards the device; queued work runs under it on the thread that waits, one kernel at a
// time (the fiber emulator is single-threaded). Device pointers are host addresses: host code that
// dereferences one is not caught (a real GPU would fault).
// EMBER_CUDA_EMU_DEVICES sets the number of devices (default 1), EMBER_CUDA_EMU_MEMORY_MB the
// memory of each (default 4096).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "cuda_emu.h"

struct CUevent_st {
  cudaStream_t stream = nullptr;  // where it was last recorded
  uint64_t at = 0;                // recorded after this many of the stream's tasks
  double time_ms = 0;             // when that point was reached (timing)
  bool timing = true;             // false: created with cudaEventDisableTiming
};

struct CUgraph_st {
  std::vector<std::function<void()>> tasks;  // what was captured, in stream order
  bool invalidated = false;
};

struct CUgraphExec_st {
  std::vector<std::function<void()>> tasks;
};

struct CUstream_st {
  int device = 0;
  CUgraph_st* capture = nullptr;  // being captured into this graph (cudaStreamBeginCapture)
  struct Task {
    std::function<void()> run;
    // cudaStreamWaitEvent: the stream the event was recorded on first runs up to that point (taken
    // at the call: recording the event again later does not move what this task waits for).
    CUstream_st* wait_stream = nullptr;
    uint64_t wait_at = 0;
  };
  std::deque<Task> queue;
  uint64_t submitted = 0, completed = 0;
};

struct CUmemPoolHandle_st {
  int device = 0;
  uint64_t release_threshold = 0;
};

namespace {

constexpr unsigned char kFreshByte = 0xff, kFreedByte = 0xfe;
constexpr size_t kQuarantineBytes = size_t(64) << 20;  // freed blocks held back before reuse

struct Block {
  size_t size;
  int device;
};

// A block freed on a stream that has not reached the free yet. An allocation on the same stream
// may take it at once (what it queues runs after the free), as the driver's pool allows.
struct PendingFree {
  void* ptr;
  size_t size;
  cudaStream_t stream;
  bool reused = false;
};

// The stream-ordered pool as the driver keeps it: a freed block stays reserved (cached, reused for a
// request of its size) while the pool holds no more than its release threshold; memory freed on a
// stream but not yet reached by it is still reserved. Out of memory is reserved + request > capacity,
// so a pool full of cached blocks of other sizes fails a request until it is trimmed.
struct DeviceState {
  size_t capacity = 0, used = 0, pending = 0, cached_bytes = 0, high = 0;
  std::multimap<size_t, void*> cached;
  std::multimap<size_t, std::shared_ptr<PendingFree>> pending_frees;
  size_t reserved() const { return used + pending + cached_bytes; }
  CUstream_st legacy_stream;  // the null stream
  CUmemPoolHandle_st pool;
};

struct State {
  std::mutex mu;
  std::vector<DeviceState> devices;
  std::vector<CUstream_st*> streams;      // every stream, the null streams included
  std::map<uintptr_t, Block> blocks;      // live device blocks by start address
  std::map<uintptr_t, size_t> pinned;     // page-locked host blocks by start address
  std::deque<std::pair<void*, size_t>> quarantine;
  size_t quarantined = 0;
};

thread_local int t_device = 0;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// Never destroyed: tensors freed while the interpreter shuts down still queue their frees here.
State& state() {
  static State* s = [] {
    auto* st = new State;
    const int n = env_int("EMBER_CUDA_EMU_DEVICES", 1);
    st->devices = std::vector<DeviceState>(n > 0 ? n : 0);
    for (int d = 0; d < n; ++d) {
      st->devices[d].capacity = size_t(env_int("EMBER_CUDA_EMU_MEMORY_MB", 4096)) << 20;
      st->devices[d].legacy_stream.device = d;
      st->devices[d].pool.device = d;
      st->streams.push_back(&st->devices[d].legacy_stream);
    }
    return st;
  }();
  return *s;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool valid_device(const State& s, int d) { return d >= 0 && d < static_cast<int>(s.devices.size()); }

CUstream_st* resolve(State& s, cudaStream_t stream) {
  return stream ? stream : &s.devices[t_device].legacy_stream;
}

// Runs `stream`'s queued tasks until `upto` of them have completed (Note [The emulated device]).
void run_until(State& s, CUstream_st* stream, uint64_t upto) {
  while (stream->completed < upto && !stream->queue.empty()) {
    CUstream_st::Task task = std::move(stream->queue.front());
    stream->queue.pop_front();
    if (task.wait_stream) run_until(s, task.wait_stream, task.wait_at);
    if (task.run) task.run();
    ++stream->completed;
  }
}
void run_all(State& s, CUstream_st* stream) { run_until(s, stream, stream->submitted); }
void run_device(State& s, int device) {
  for (CUstream_st* st : s.streams)
    if (st->device == device) run_all(s, st);
}

// A call that waits for a stream, or for a device, while it is being captured: the capture is
// invalidated and the call fails, as the driver does.
cudaError_t refuse_during_capture(CUstream_st* stream) {
  if (stream->capture) stream->capture->invalidated = true;
  return emu::set_error(cudaErrorStreamCaptureUnsupported);
}
CUstream_st* capturing_stream_of(State& s, int device) {
  for (CUstream_st* st : s.streams)
    if (st->device == device && st->capture) return st;
  return nullptr;
}

void enqueue(State& s, CUstream_st* stream, std::function<void()> run, CUevent_st* wait = nullptr) {
  if (stream->capture) {  // recorded, not queued (a wait inside one captured stream is its order)
    if (run) stream->capture->tasks.push_back(std::move(run));
    return;
  }
  stream->queue.push_back({std::move(run), wait ? wait->stream : nullptr, wait ? wait->at : 0});
  ++stream->submitted;
}

// The live device block holding [p, p + n), or null.
const Block* device_block(const State& s, const void* p, size_t n, uintptr_t* start = nullptr) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = s.blocks.upper_bound(a);
  if (it == s.blocks.begin()) return nullptr;
  --it;
  if (a + n > it->first + it->second.size) return nullptr;
  if (start) *start = it->first;
  return &it->second;
}

bool is_pinned(const State& s, const void* p, size_t n) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = s.pinned.upper_bound(a);
  if (it == s.pinned.begin()) return false;
  --it;
  return a + n <= it->first + it->second;
}

void release(State& s, void* p, size_t size) {
  std::memset(p, kFreedByte, size);
  s.quarantine.emplace_back(p, size);
  s.quarantined += size;
  while (s.quarantined > kQuarantineBytes) {
    auto [q, n] = s.quarantine.front();
    s.quarantine.pop_front();
    s.quarantined -= n;
    std::free(q);
  }
}

cudaError_t allocate_device(State& s, void** ptr, size_t size, CUstream_st* stream) {
  if (!ptr) return emu::set_error(cudaErrorInvalidValue);
  DeviceState& d = s.devices[t_device];
  if (stream) {  // a block this stream freed and has not reached yet: poisoned when it gets there
    auto [lo, hi] = d.pending_frees.equal_range(size);
    for (auto it = lo; it != hi; ++it) {
      if (it->second->stream != stream) continue;
      void* p = it->second->ptr;
      it->second->reused = true;
      d.pending_frees.erase(it);
      d.pending -= size;
      enqueue(s, stream, [p, size] { std::memset(p, kFreshByte, size); });
      s.blocks[reinterpret_cast<uintptr_t>(p)] = Block{size, t_device};
      d.used += size;
      *ptr = p;
      return cudaSuccess;
    }
  }
  void* p = nullptr;
  auto hit = stream ? d.cached.find(size) : d.cached.end();
  if (hit != d.cached.end()) {  // a cached block of this size: no new memory
    p = hit->second;
    d.cached.erase(hit);
    d.cached_bytes -= size;
  } else {
    if (size > d.capacity - d.reserved()) return emu::set_error(cudaErrorMemoryAllocation);
    p = std::aligned_alloc(256, std::max<size_t>(256, (size + 255) / 256 * 256));
    if (!p) return emu::set_error(cudaErrorMemoryAllocation);
  }
  std::memset(p, kFreshByte, size);
  s.blocks[reinterpret_cast<uintptr_t>(p)] = Block{size, t_device};
  d.used += size;
  d.high = std::max(d.high, d.reserved());
  *ptr = p;
  return cudaSuccess;
}

// A stream-ordered free, when the stream reaches it: the pool keeps the block (poisoned) while it
// stays within the release threshold, and gives it back otherwise.
void free_in_pool(State& s, int device, const std::shared_ptr<PendingFree>& f) {
  if (f->reused) return;  // an allocation on this stream took it
  DeviceState& d = s.devices[device];
  void* p = f->ptr;
  const size_t size = f->size;
  for (auto [lo, hi] = d.pending_frees.equal_range(size); lo != hi; ++lo)
    if (lo->second == f) {
      d.pending_frees.erase(lo);
      break;
    }
  d.pending -= size;
  if (d.reserved() + size <= d.pool.release_threshold) {
    std::memset(p, kFreedByte, size);
    d.cached.emplace(size, p);
    d.cached_bytes += size;
  } else {
    release(s, p, size);
  }
}

// Checks a free and takes the block out of the live set; the memory itself goes at `when`.
cudaError_t take_block(State& s, void* ptr, Block* out) {
  auto it = s.blocks.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.blocks.end()) return emu::set_error(cudaErrorInvalidValue);
  *out = it->second;
  s.blocks.erase(it);
  s.devices[out->device].used -= out->size;
  return cudaSuccess;
}

// What a pointer is, for copies: 0 pageable host, 1 pinned host, 2 device.
int kind_of(const State& s, const void* p, size_t n) {
  if (device_block(s, p, n)) return 2;
  return is_pinned(s, p, n) ? 1 : 0;
}

const std::map<cudaError_t, std::pair<const char*, const char*>>& error_texts() {
  static const std::map<cudaError_t, std::pair<const char*, const char*>> t{
      {cudaSuccess, {"cudaSuccess", "no error"}},
      {cudaErrorInvalidValue, {"cudaErrorInvalidValue", "invalid argument"}},
      {cudaErrorMemoryAllocation, {"cudaErrorMemoryAllocation", "out of memory"}},
      {cudaErrorInvalidConfiguration, {"cudaErrorInvalidConfiguration", "invalid configuration argument"}},
      {cudaErrorInvalidDevicePointer, {"cudaErrorInvalidDevicePointer", "invalid device pointer"}},
      {cudaErrorInvalidMemcpyDirection, {"cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"}},
      {cudaErrorNoDevice, {"cudaErrorNoDevice", "no CUDA-capable device is detected"}},
      {cudaErrorInvalidDevice, {"cudaErrorInvalidDevice", "invalid device ordinal"}},
      {cudaErrorInvalidResourceHandle, {"cudaErrorInvalidResourceHandle", "invalid resource handle"}},
      {cudaErrorNotReady, {"cudaErrorNotReady", "device not ready"}},
      {cudaErrorStreamCaptureUnsupported,
       {"cudaErrorStreamCaptureUnsupported", "operation not permitted when stream is capturing"}},
      {cudaErrorStreamCaptureInvalidated,
       {"cudaErrorStreamCaptureInvalidated", "operation failed due to a previous error during capture"}},
  };
  return t;
}

// Kernels queue themselves through cuda_emu.h's hook; installed when the extension loads.
void submit_kernel(cudaStream_t stream, std::function<void()> run, const char*) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  enqueue(s, resolve(s, stream), std::move(run));
}
[[maybe_unused]] const bool hook_installed = (emu::g_submit = &submit_kernel, true);

}  // namespace

const char* cudaGetErrorString(cudaError_t e) {
  auto it = error_texts().find(e);
  return it == error_texts().end() ? "unknown error" : it->second.second;
}
const char* cudaGetErrorName(cudaError_t e) {
  auto it = error_texts().find(e);
  return it == error_texts().end() ? "cudaErrorUnknown" : it->second.first;
}

cudaError_t cudaGetDeviceCount(int* count) {
  const int n = static_cast<int>(state().devices.size());
  *count = n;
  return n > 0 ? cudaSuccess : emu::set_error(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
  if (!valid_device(state(), device)) return emu::set_error(cudaErrorInvalidDevice);
  t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  State& s = state();
  if (!valid_device(s, device)) return emu::set_error(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "ember emulated CUDA device (sm_90, on the CPU)");
  prop->totalGlobalMem = s.devices[device].capacity;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 0x7fffffff;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 132;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (CUstream_st* st = capturing_stream_of(s, t_device)) return refuse_during_capture(st);
  run_device(s, t_device);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const DeviceState& d = s.devices[t_device];
  *free_bytes = d.capacity - d.reserved();
  *total_bytes = d.capacity;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t size) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return allocate_device(s, ptr, size, nullptr);
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (CUstream_st* st = capturing_stream_of(s, t_device)) return refuse_during_capture(st);
  Block b;
  if (cudaError_t e = take_block(s, ptr, &b)) return e;
  run_device(s, b.device);  // cudaFree waits for the device, as the real one does
  release(s, ptr, b.size);
  return cudaSuccess;
}

cudaError_t cudaMallocAsync(void** ptr, size_t size, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return allocate_device(s, ptr, size, resolve(s, stream));
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  Block b;
  if (cudaError_t e = take_block(s, ptr, &b)) return e;
  // Stream-ordered: kernels queued before the free still read the block.
  CUstream_st* st = resolve(s, stream);
  auto pending = std::make_shared<PendingFree>(PendingFree{ptr, b.size, st});
  s.devices[b.device].pending += b.size;
  s.devices[b.device].pending_frees.emplace(b.size, pending);
  enqueue(s, st, [&s, device = b.device, pending] { free_in_pool(s, device, pending); });
  return cudaSuccess;
}

cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  void* p = std::aligned_alloc(4096, std::max<size_t>(4096, (size + 4095) / 4096 * 4096));
  if (!p) return emu::set_error(cudaErrorMemoryAllocation);
  std::memset(p, kFreshByte, size);
  s.pinned[reinterpret_cast<uintptr_t>(p)] = size;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void* ptr) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.pinned.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.pinned.end()) return emu::set_error(cudaErrorInvalidValue);
  for (size_t d = 0; d < s.devices.size(); ++d) run_device(s, static_cast<int>(d));  // as the real one, it waits
  std::memset(ptr, kFreedByte, it->second);
  s.pinned.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaHostGetDevicePointer(void** device_ptr, void* host_ptr, unsigned) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!is_pinned(s, host_ptr, 1)) return emu::set_error(cudaErrorInvalidValue);
  *device_ptr = host_ptr;  // mapped memory: the device sees the host's bytes
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attr, const void* ptr) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  *attr = cudaPointerAttributes{cudaMemoryTypeUnregistered, -1, nullptr, nullptr};
  if (const Block* b = device_block(s, ptr, 0)) {
    *attr = {cudaMemoryTypeDevice, b->device, const_cast<void*>(ptr), nullptr};
  } else if (is_pinned(s, ptr, 0)) {
    *attr = {cudaMemoryTypeHost, t_device, const_cast<void*>(ptr), const_cast<void*>(ptr)};
  }
  return cudaSuccess;
}

namespace {

// Checks a copy as the driver does and queues it (Note [The emulated device]). Pageable host
// memory: a copy from it reads the bytes at the call (the driver stages them), a copy into it
// first runs the stream and then copies (the call returns with the data). Pinned host and
// device memory are read and written when the queued copy runs.
cudaError_t queue_copy(State& s, void* dst, const void* src, size_t n, cudaMemcpyKind kind, CUstream_st* stream) {
  if (n == 0) return cudaSuccess;
  const int dk = kind_of(s, dst, n), sk = kind_of(s, src, n);
  const bool dst_dev = dk == 2, src_dev = sk == 2;
  switch (kind) {
    case cudaMemcpyHostToDevice: if (!dst_dev || src_dev) return emu::set_error(cudaErrorInvalidValue); break;
    case cudaMemcpyDeviceToHost: if (dst_dev || !src_dev) return emu::set_error(cudaErrorInvalidValue); break;
    case cudaMemcpyDeviceToDevice: if (!dst_dev || !src_dev) return emu::set_error(cudaErrorInvalidValue); break;
    case cudaMemcpyDefault: break;
    default: return emu::set_error(cudaErrorInvalidMemcpyDirection);
  }
  if (stream->capture && (sk == 0 || dk == 0)) return refuse_during_capture(stream);  // pageable memory
  if (sk == 0 && dk == 0) {
    std::memcpy(dst, src, n);
  } else if (sk == 0) {
    auto staged = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src),
                                                                static_cast<const unsigned char*>(src) + n);
    enqueue(s, stream, [dst, staged] { std::memcpy(dst, staged->data(), staged->size()); });
  } else if (dk == 0) {
    run_all(s, stream);
    std::memcpy(dst, src, n);
  } else {
    enqueue(s, stream, [dst, src, n] { std::memmove(dst, src, n); });
  }
  return cudaSuccess;
}

}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  CUstream_st* stream = &s.devices[t_device].legacy_stream;
  if (CUstream_st* st = capturing_stream_of(s, t_device)) return refuse_during_capture(st);
  cudaError_t e = queue_copy(s, dst, src, count, kind, stream);
  run_device(s, t_device);  // synchronous
  return e;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return queue_copy(s, dst, src, count, kind, resolve(s, stream));
}

cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t count,
                                cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const Block* d = device_block(s, dst, count);
  const Block* b = device_block(s, src, count);
  if (!d || !b || d->device != dst_device || b->device != src_device) return emu::set_error(cudaErrorInvalidValue);
  return queue_copy(s, dst, src, count, cudaMemcpyDeviceToDevice, resolve(s, stream));
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (count == 0) return cudaSuccess;
  if (!device_block(s, ptr, count)) return emu::set_error(cudaErrorInvalidValue);
  enqueue(s, resolve(s, stream), [ptr, value, count] { std::memset(ptr, value, count); });
  return cudaSuccess;
}

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  State& s = state();
  if (!valid_device(s, device)) return emu::set_error(cudaErrorInvalidDevice);
  *pool = &s.devices[device].pool;
  return cudaSuccess;
}

cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value) {
  if (attr != cudaMemPoolAttrReleaseThreshold) return emu::set_error(cudaErrorInvalidValue);
  pool->release_threshold = *static_cast<uint64_t*>(value);
  return cudaSuccess;
}

cudaError_t cudaMemPoolGetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const DeviceState& d = s.devices[pool->device];
  uint64_t v;
  switch (attr) {
    case cudaMemPoolAttrReleaseThreshold: v = pool->release_threshold; break;
    case cudaMemPoolAttrReservedMemCurrent: v = d.reserved(); break;
    case cudaMemPoolAttrUsedMemCurrent: v = d.used; break;
    case cudaMemPoolAttrReservedMemHigh: case cudaMemPoolAttrUsedMemHigh: v = d.high; break;
    default: return emu::set_error(cudaErrorInvalidValue);
  }
  *static_cast<uint64_t*>(value) = v;
  return cudaSuccess;
}

// Gives cached blocks back, largest first, until the pool reserves no more than `keep`.
cudaError_t cudaMemPoolTrimTo(cudaMemPool_t pool, size_t keep) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  DeviceState& d = s.devices[pool->device];
  while (d.reserved() > keep && !d.cached.empty()) {
    auto last = std::prev(d.cached.end());
    d.cached_bytes -= last->first;
    release(s, last->second, last->first);
    d.cached.erase(last);
  }
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto* st = new CUstream_st;
  st->device = t_device;
  s.streams.push_back(st);
  *stream = st;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = std::find(s.streams.begin(), s.streams.end(), stream);
  if (!stream || it == s.streams.end()) return emu::set_error(cudaErrorInvalidResourceHandle);
  run_all(s, stream);  // queued work still completes, as on a GPU
  s.streams.erase(it);
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (resolve(s, stream)->capture) return refuse_during_capture(resolve(s, stream));
  run_all(s, resolve(s, stream));
  return cudaSuccess;
}

// A query runs nothing: queued work is done only when the host waits for it, so a caller that
// would reuse memory once a query says so keeps waiting for work that a real GPU may not have
// finished either. cudaErrorNotReady is an answer, not an error: the last error stays as it was.
cudaError_t cudaStreamQuery(cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  CUstream_st* st = resolve(s, stream);
  return st->completed >= st->submitted ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!event) return emu::set_error(cudaErrorInvalidResourceHandle);
  CUstream_st* st = resolve(s, stream);
  if (st->capture && event->stream != st) return refuse_during_capture(st);  // work outside the capture
  if (event->stream) enqueue(s, st, nullptr, event);
  return cudaSuccess;
}

cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void* user_data) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!fn) return emu::set_error(cudaErrorInvalidValue);
  enqueue(s, resolve(s, stream), [fn, user_data] { fn(user_data); });
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, cudaEventDefault); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags) {
  *event = new CUevent_st;
  (*event)->timing = !(flags & cudaEventDisableTiming);
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!event) return emu::set_error(cudaErrorInvalidResourceHandle);
  CUstream_st* st = resolve(s, stream);
  enqueue(s, st, [event] { event->time_ms = now_ms(); });
  event->stream = st;
  event->at = st->submitted;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!event) return emu::set_error(cudaErrorInvalidResourceHandle);
  if (event->stream) run_until(s, event->stream, event->at);
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!event) return emu::set_error(cudaErrorInvalidResourceHandle);
  return !event->stream || event->stream->completed >= event->at ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->stream || !end->stream || !start->timing || !end->timing)
    return emu::set_error(cudaErrorInvalidResourceHandle);
  // As the driver: both events must have completed (an event still queued has no time yet).
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (start->stream->completed < start->at || end->stream->completed < end->at) return cudaErrorNotReady;
  *ms = static_cast<float>(end->time_ms - start->time_ms);
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!stream || stream->capture) return emu::set_error(cudaErrorStreamCaptureUnsupported);  // not the null stream
  stream->capture = new CUgraph_st;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!stream || !stream->capture) return emu::set_error(cudaErrorInvalidValue);
  CUgraph_st* g = stream->capture;
  stream->capture = nullptr;
  if (g->invalidated) {
    delete g;
    *graph = nullptr;
    return emu::set_error(cudaErrorStreamCaptureInvalidated);
  }
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  const CUgraph_st* g = resolve(s, stream)->capture;
  *status = !g ? cudaStreamCaptureStatusNone : g->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!graph) return emu::set_error(cudaErrorInvalidValue);
  *exec = new CUgraphExec_st{graph->tasks};
  return cudaSuccess;
}

// The recorded work is queued again, in order, with the arguments it was captured with.
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!exec) return emu::set_error(cudaErrorInvalidValue);
  CUstream_st* st = resolve(s, stream);
  for (const auto& task : exec->tasks) enqueue(s, st, task);
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
