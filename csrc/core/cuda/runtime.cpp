// The CUDA runtime as ember uses it: is there a device (and if not, why), one stream per device,
// the current device, syncs and copies between host and device, and their counters.
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/cuda/cuda_check.h"
#include "core/cuda/kernel_error.h"
#include "core/cuda_backend.h"
#include "core/profiler.h"

namespace ember::cuda {

namespace {

constexpr int kMaxDevices = 64;

struct Availability {
  int count = 0;
  std::string reason;
};

// Asked once: cudaGetDeviceCount is where a missing driver or GPU shows itself.
const Availability& availability() {
  static const Availability a = [] {
    Availability r;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear it: a machine without a GPU is not an error state for ember
      if (e == cudaErrorNoDevice) r.reason = "no CUDA GPU was found";
      else if (e == cudaErrorInsufficientDriver)
        r.reason = "no NVIDIA driver was found, or it is older than this build's CUDA runtime needs";
      else r.reason = std::string("the CUDA runtime failed to start: ") + cudaGetErrorString(e);
      return r;
    }
    r.count = n < kMaxDevices ? n : kMaxDevices;
    if (r.count == 0) r.reason = "no CUDA GPU was found";
    return r;
  }();
  return a;
}

// Streams are created on first use and live as long as the process (never destroyed: tensors
// freed during interpreter shutdown still queue their frees on them).
std::array<std::atomic<cudaStream_t>, kMaxDevices> streams{};
std::mutex stream_mutex;

thread_local const char* tl_last_kernel = nullptr;

std::atomic<int64_t> n_syncs{0}, n_to_device{0}, n_to_host{0}, n_launches{0}, n_allocator_calls{0};

// Host and device addresses of each device's kernel error report (Note [Errors found by kernels]).
std::array<std::atomic<KernelErrorReport*>, kMaxDevices> reports_host{}, reports_device{};
std::mutex report_mutex;

// Waits for everything queued on `index`'s stream, then raises what a kernel reported meanwhile.
void wait_for(int index, cudaStream_t s) {
  check_not_capturing("synchronize", index);
  profiler::Range timed(profiler::Kind::Sync, "cudaStreamSynchronize", index);
  n_syncs.fetch_add(1, std::memory_order_relaxed);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(s));
  raise_kernel_error(index);
}

}  // namespace

[[noreturn]] void fail_call(const char* call, cudaError_t err, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
  std::string where = tl_last_kernel ? std::string(" (the last kernel launched was ") + tl_last_kernel + ")" : "";
  fail(err == cudaErrorMemoryAllocation ? ErrorKind::Memory : ErrorKind::Runtime, "CUDA error: ",
       cudaGetErrorString(err), " (", cudaGetErrorName(err), ") in ", call, " at ", file, ":", line, where);
}

// EMBER_CUDA_LOG_LAUNCHES=1 prints each kernel's name as it is queued: what a step launches.
void note_launch(const char* kernel_name) {
  static const bool log = [] {
    const char* v = std::getenv("EMBER_CUDA_LOG_LAUNCHES");
    return v && *v && *v != '0';
  }();
  if (log) std::fprintf(stderr, "ember.cuda launch: %s\n", kernel_name);
  tl_last_kernel = kernel_name;
  n_launches.fetch_add(1, std::memory_order_relaxed);
}

void count_allocator_call() { n_allocator_calls.fetch_add(1, std::memory_order_relaxed); }

bool is_available() { return availability().count > 0; }
int device_count() { return availability().count; }
std::string unavailable_reason() { return availability().reason; }

void check_device(const char* op, Device device) {
  const Availability& a = availability();
  EMBER_CHECK(a.count > 0, Runtime, "[", op, "] cannot use ", device.str(), ": CUDA is not available: ", a.reason);
  EMBER_CHECK(device.index >= 0 && device.index < a.count, Runtime, "[", op, "] CUDA device ", device.str(),
              " is out of range: ", a.count, " device(s) available");
}

void set_device(int index) {
  check_device("set_device", Device{DeviceType::CUDA, index});
  EMBER_CUDA_CHECK(cudaSetDevice(index));
}

// The runtime's current device is per thread and any library in the process may change it, so
// ember asks each time (cudaGetDevice reads a thread-local, no driver call) instead of keeping a
// copy that would go stale.
int current_device() {
  check_device("current_device", Device{DeviceType::CUDA, 0});
  int index = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&index));
  return index;
}

void use_device(int index) {
  int now = -1;
  EMBER_CUDA_CHECK(cudaGetDevice(&now));
  if (now != index) set_device(index);
}

cudaStream_t stream_of(int index) {
  cudaStream_t s = streams[index].load(std::memory_order_acquire);
  if (s) return s;
  std::lock_guard<std::mutex> lock(stream_mutex);
  s = streams[index].load(std::memory_order_relaxed);
  if (!s) {
    int prev = current_device();
    EMBER_CUDA_CHECK(cudaSetDevice(index));
    // Non-blocking: never implicitly ordered with the legacy default stream that other
    // libraries may use, so ember's work is ordered only by this stream.
    EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    EMBER_CUDA_CHECK(cudaSetDevice(prev));
    streams[index].store(s, std::memory_order_release);
  }
  return s;
}

cudaStream_t current_stream() { return stream_of(current_device()); }

DeviceProperties device_properties(int index) {
  check_device("get_device_properties", Device{DeviceType::CUDA, index});
  cudaDeviceProp p;
  EMBER_CUDA_CHECK(cudaGetDeviceProperties(&p, index));
  return {p.name, p.major, p.minor, static_cast<int64_t>(p.totalGlobalMem), p.multiProcessorCount, p.warpSize,
          p.maxThreadsPerBlock, static_cast<int64_t>(p.sharedMemPerBlock)};
}

uintptr_t stream_handle(int index) {
  check_device("stream", Device{DeviceType::CUDA, index});
  return reinterpret_cast<uintptr_t>(stream_of(index));
}

int multiprocessor_count() {
  static std::array<std::atomic<int>, kMaxDevices> counts{};  // 0: not asked yet
  const int index = current_device();
  int n = counts[index].load(std::memory_order_relaxed);
  if (n == 0) {
    cudaDeviceProp prop;
    EMBER_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    n = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
    counts[index].store(n, std::memory_order_relaxed);
  }
  return n;
}

// Note [Asynchronous CUDA errors]: a kernel that faults reports it at the next call that waits
// for the device; the error then names the last kernel this thread launched.
void synchronize(int index) {
  check_device("synchronize", Device{DeviceType::CUDA, index});
  wait_for(index, stream_of(index));
}

KernelErrorReport* kernel_error_report(int index) {
  KernelErrorReport* d = reports_device[index].load(std::memory_order_acquire);
  if (d) return d;
  std::lock_guard<std::mutex> lock(report_mutex);
  d = reports_device[index].load(std::memory_order_relaxed);
  if (!d) {
    // Once per device and process, never freed: mapped host memory the device writes over the bus.
    void* h = nullptr;
    EMBER_CUDA_CHECK(cudaHostAlloc(&h, sizeof(KernelErrorReport), cudaHostAllocMapped | cudaHostAllocPortable));
    *static_cast<KernelErrorReport*>(h) = KernelErrorReport{};
    void* dev = nullptr;
    EMBER_CUDA_CHECK(cudaHostGetDevicePointer(&dev, h, 0));
    reports_host[index].store(static_cast<KernelErrorReport*>(h), std::memory_order_relaxed);
    d = static_cast<KernelErrorReport*>(dev);
    reports_device[index].store(d, std::memory_order_release);
  }
  return d;
}

void raise_kernel_error(int index) {
  KernelErrorReport* h = reports_host[index].load(std::memory_order_acquire);
  if (h == nullptr) return;  // no kernel on this device has been given the report yet
  volatile KernelErrorReport* r = h;
  if (r->flagged == 0) return;
  const KernelErrorReport e{r->flagged, 0, r->value, r->bound, r->op};
  r->flagged = 0;  // the device is idle (we just waited), so no kernel races this reset
  fail(ErrorKind::Index, "[", e.op ? e.op : "kernel", "] index ", e.value, " is out of bounds for size ", e.bound,
       " (found on cuda:", index, " by a kernel queued before this sync; its output is incomplete)");
}

bool is_pinned(const void* host_ptr) {
  if (!is_available() || host_ptr == nullptr) return false;
  cudaPointerAttributes attr;
  if (cudaPointerGetAttributes(&attr, host_ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

// Between two GPUs, with no wait of the host: the copy is queued on the destination's stream
// once the source's stream has reached this point (the source's queued writes have landed), and
// the source's stream waits for the copy before what is queued on it next, so that a kernel
// reusing the source's block (Note [The caching allocator]) cannot overwrite it first.
static void copy_between_devices(void* dst, int dst_index, const void* src, int src_index, size_t nbytes) {
  static std::array<cudaEvent_t, kMaxDevices> reached{};  // one per device, recorded on its stream
  static std::mutex peer_mutex;
  std::lock_guard<std::mutex> lock(peer_mutex);  // an event is recorded and waited on as one step
  auto event_of = [](int index) {
    if (!reached[index]) {
      use_device(index);  // an event belongs to the device current when it is created
      EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&reached[index], cudaEventDisableTiming));
    }
    return reached[index];
  };
  cudaStream_t src_stream = stream_of(src_index), dst_stream = stream_of(dst_index);
  cudaEvent_t src_ready = event_of(src_index), copied = event_of(dst_index);
  use_device(src_index);
  EMBER_CUDA_CHECK(cudaEventRecord(src_ready, src_stream));
  use_device(dst_index);
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(dst_stream, src_ready, 0));
  EMBER_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_index, src, src_index, nbytes, dst_stream));
  EMBER_CUDA_CHECK(cudaEventRecord(copied, dst_stream));
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(src_stream, copied, 0));
}

// Note [Host-to-device copies]: cudaMemcpyAsync from pageable memory returns once the bytes are
// staged, so the caller may free or overwrite them at once. From pinned memory the DMA reads the
// buffer later, so, as in PyTorch, the host waits for the copy unless the caller said
// non_blocking=True: `buf.copy_(batch); x = buf.to("cuda")` in a loop must not overwrite buf
// before the previous copy read it. A non_blocking copy is recorded on its block, which is not
// handed out again before the copy has run (Note [Pinned blocks are cached]). A device-to-host
// copy must wait: the caller reads next.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes, bool non_blocking) {
  if (nbytes == 0) return;
  if (dst_device.is_cuda() && src_device.is_cpu()) {
    const bool pinned = is_pinned(src);
    if (!pinned) check_not_capturing("to", dst_device.index);  // the driver stages pageable bytes
    use_device(dst_device.index);
    cudaStream_t s = stream_of(dst_device.index);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, s));
    n_to_device.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    if (profiler::on())
      profiler::instant(profiler::Kind::Transfer, "host to device", dst_device.index, static_cast<int64_t>(nbytes), 0,
                        pinned ? "pinned" : "pageable");
    if (pinned) {
      if (non_blocking) record_pinned_use(src, s);
      else wait_for(dst_device.index, s);
    }
  } else if (dst_device.is_cpu() && src_device.is_cuda()) {
    check_not_capturing("cpu", src_device.index);
    use_device(src_device.index);
    cudaStream_t s = stream_of(src_device.index);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, s));
    wait_for(src_device.index, s);
    n_to_host.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    if (profiler::on())
      profiler::instant(profiler::Kind::Transfer, "device to host", src_device.index, static_cast<int64_t>(nbytes), 0,
                        is_pinned(dst) ? "pinned" : "pageable");
  } else if (dst_device == src_device) {
    use_device(dst_device.index);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream_of(dst_device.index)));
  } else {
    check_not_capturing("to", src_device.index);  // the copy joins the two devices' streams
    check_not_capturing("to", dst_device.index);
    copy_between_devices(dst, dst_device.index, src, src_device.index, nbytes);
  }
}

TransferStats transfer_stats() {
  return {n_syncs.load(), n_to_device.load(), n_to_host.load(), n_launches.load(), n_allocator_calls.load()};
}

void reset_transfer_stats() {
  for (auto* counter : {&n_syncs, &n_to_device, &n_to_host, &n_launches, &n_allocator_calls}) counter->store(0);
}

}  // namespace ember::cuda
