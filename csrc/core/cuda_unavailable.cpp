// The CUDA interface of a build without CUDA: no device, and every request for one says why.
// A build with CUDA compiles core/cuda/*.cpp instead (see CMakeLists.txt).
#ifndef EMBER_WITH_CUDA
#include "core/cuda_backend.h"
#include "core/nccl_backend.h"

namespace ember::cuda {

namespace {
[[noreturn]] void no_cuda(const char* op) {
  fail(ErrorKind::Runtime, "[", op, "] cannot use cuda: CUDA is not available: this build of ember was compiled without CUDA "
       "(reinstall with a CUDA compiler on PATH, or EMBER_CUDA=ON)");
}
}  // namespace

bool is_available() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() { return "this build of ember was compiled without CUDA"; }
void check_device(const char* op, Device) { no_cuda(op); }
void set_device(int) { no_cuda("set_device"); }
int current_device() { no_cuda("current_device"); }
void use_device(int) { no_cuda("cuda"); }
void synchronize(int) { no_cuda("synchronize"); }
uintptr_t stream_handle(int) { no_cuda("stream"); }
DeviceProperties device_properties(int) { no_cuda("get_device_properties"); }
std::shared_ptr<void> allocate(size_t, int) { no_cuda("allocate"); }
std::shared_ptr<void> allocate_pinned(size_t) { no_cuda("pin_memory"); }
void empty_pinned_cache() {}
struct CapturedGraph {};
int64_t begin_capture(int, int64_t) { no_cuda("CUDAGraph.capture_begin"); }
std::shared_ptr<CapturedGraph> end_capture(int, int64_t) { no_cuda("CUDAGraph.capture_end"); }
void replay(const CapturedGraph&) { no_cuda("CUDAGraph.replay"); }
bool is_capturing(int) { return false; }
void check_not_capturing(const char*, int) {}
bool is_pinned(const void*) { return false; }
void copy_bytes(void*, Device, const void*, Device, size_t, bool) { no_cuda("to"); }
DeviceMemoryStats memory_stats(int) { return {}; }
void reset_peak_memory(int) {}
void empty_cache(int) {}
int64_t record_timing_event(int) { return -1; }
std::vector<int64_t> collect_timing_events() { return {}; }
TransferStats transfer_stats() { return {0, 0, 0, 0, 0}; }
void count_allocator_call() {}
void reset_transfer_stats() {}

}  // namespace ember::cuda

namespace ember::nccl {

class Communicator {};
std::string unavailable_reason() { return cuda::unavailable_reason(); }
std::string library_path() { return ""; }
std::string library_error() { return cuda::unavailable_reason(); }
int version() { cuda::check_device("nccl.version", Device{DeviceType::CUDA, 0}); return 0; }
std::string unique_id() { cuda::check_device("init_process_group", Device{DeviceType::CUDA, 0}); return {}; }
std::shared_ptr<Communicator> join(const std::string&, int, int, int) {
  cuda::check_device("init_process_group", Device{DeviceType::CUDA, 0});
  return nullptr;
}
int device_of(const Communicator&) { return 0; }
int rank_of(const Communicator&) { return 0; }
int size_of(const Communicator&) { return 1; }
void all_reduce(Communicator&, const void*, void*, size_t, DType, ReduceOp) {}
void broadcast(Communicator&, const void*, void*, size_t, DType, int) {}
void all_gather(Communicator&, const void*, void*, size_t, DType) {}
void reduce_scatter(Communicator&, const void*, void*, size_t, DType, ReduceOp) {}
void send(Communicator&, const void*, size_t, DType, int) {}
void recv(Communicator&, void*, size_t, DType, int) {}
std::string async_error(Communicator&) { return {}; }
double oldest_pending_seconds(Communicator&) { return 0; }
void abort(Communicator&) {}

}  // namespace ember::nccl
#endif
