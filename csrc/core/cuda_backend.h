// What the rest of ember asks of the CUDA runtime: whether a device exists, device memory, copies
// between host and device, and the counters ember.cuda reports. This header has no CUDA types,
// so every translation unit can include it; a build without CUDA links cuda_unavailable.cpp,
// whose answers say why there is no device (see Note [CUDA is optional] in CMakeLists.txt).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"

namespace ember::cuda {

// True when this build has CUDA and the machine has a driver and at least one GPU.
bool is_available();
int device_count();
// Why no CUDA device can be used ("" when one can): built without CUDA, no driver, no GPU.
std::string unavailable_reason();
// RuntimeError naming `op` unless `device` is a CUDA device that exists.
void check_device(const char* op, Device device);

// The device kernels launch on from this thread. use_device is the cheap form ops call before a
// launch (it calls cudaSetDevice only when the device changes).
void set_device(int index);
int current_device();
void use_device(int index);
// Waits for every kernel and copy queued on `index`'s stream (counted in transfer_stats().syncs).
void synchronize(int index);

// Device memory from the device's caching allocator (Note [The caching allocator], allocator.cpp).
std::shared_ptr<void> allocate(size_t nbytes, int index);
// Page-locked host memory, so host-to-device copies from it can be asynchronous (pin_memory()),
// from a cache of pinned blocks (Note [Pinned blocks are cached], pinned_allocator.cpp).
std::shared_ptr<void> allocate_pinned(size_t nbytes);
// Gives the cached pinned blocks that no queued copy still reads back to the driver.
void empty_pinned_cache();

bool is_pinned(const void* host_ptr);

// What ember.cuda.get_device_properties reports, from cudaGetDeviceProperties.
struct DeviceProperties {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int64_t total_memory = 0;  // bytes
  int multi_processor_count = 0, warp_size = 0, max_threads_per_block = 0;
  int64_t shared_memory_per_block = 0;  // bytes
};
DeviceProperties device_properties(int index);

// Device `index`'s stream (the one ember queues everything on) as an integer, for protocols that
// pass streams between libraries (DLPack's __dlpack__(stream=...)).
uintptr_t stream_handle(int index);

// Copies nbytes between two devices (at least one of them cuda). Device-to-host copies wait for
// the data (a sync). Host-to-device copies are queued on the device's stream; from pinned memory
// they wait for the copy unless non_blocking (Note [Host-to-device copies]).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes,
                bool non_blocking = false);

// CUDA graphs (Note [Capturing a step], core/cuda/graph.cpp).
struct CapturedGraph;
// Starts capturing what ember queues on `index`'s stream; allocations meanwhile come from graph
// pool `pool` (0: a new one), whose id is returned.
int64_t begin_capture(int index, int64_t pool);
// Ends the capture and instantiates the graph, which then holds the pool.
std::shared_ptr<CapturedGraph> end_capture(int index, int64_t pool);
// Queues the whole graph on its device's stream: one launch.
void replay(const CapturedGraph& graph);
bool is_capturing(int index);
// RuntimeError naming `op` when a capture runs on `index`: a wait for the device would break it.
void check_not_capturing(const char* op, int index);

struct DeviceMemoryStats {
  int64_t allocated = 0;         // bytes of live tensors (in whole size classes)
  int64_t peak_allocated = 0;    // the most live at once since the last reset
  int64_t reserved = 0;          // bytes held from the driver: live blocks and cached ones
  int64_t peak_reserved = 0;
  int64_t num_device_alloc = 0;  // driver allocations (cache misses)
  int64_t num_device_free = 0;   // blocks given back to the driver (empty_cache, out-of-memory retry)
  int64_t num_alloc_retries = 0; // allocations that failed, emptied the cache and tried again
  int64_t num_ooms = 0;          // allocations that failed after that
};
DeviceMemoryStats memory_stats(int index);
void reset_peak_memory(int index);
// Gives the device's cached (unused) blocks back to the driver.
void empty_cache(int index);

// The profiler's device clock (Note [Kernel time on the device], core/cuda/kernel_timer.cpp).
// Records a timing event on `index`'s stream and returns its number in this profile, or -1 when
// none could be recorded (the stream is being captured into a graph, or a CUDA call failed).
int64_t record_timing_event(int index);
// Waits for the recorded events and returns, by number, when each completed on the profiler's clock
// (profiler::now_ns; -1 where unknown); the next event begins a new numbering.
std::vector<int64_t> collect_timing_events();

// Counters for tests and the profiler, what a training step costs beyond its arithmetic: a sync
// is any wait of the host for the device; a launch is a kernel queued (counted where every launch
// is checked, EMBER_CUDA_CHECK_LAUNCH); an allocator call is a request to the driver's allocator
// (device or pinned memory, taken or given back).
struct TransferStats {
  int64_t syncs;
  int64_t bytes_to_device;
  int64_t bytes_to_host;
  int64_t kernel_launches;
  int64_t allocator_calls;
};
// The allocator's driver calls go into the counters through this (allocator.cpp).
void count_allocator_call();
TransferStats transfer_stats();
void reset_transfer_stats();

}  // namespace ember::cuda
