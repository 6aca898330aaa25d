// Note [NCCL at run time]
// ember.distributed's "nccl" backend calls NCCL, the library every GPU framework uses between GPUs,
// but ember does not link it: libnccl.so.2 is ~200 MB (the nvidia-nccl-cu13 wheel, brought by
// `pip install "ember[distributed]"`), and a CUDA build of ember must import and train on one GPU
// without it. So the library is opened with dlopen the first time a process group asks for it,
// looked for in EMBER_NCCL_LIBRARY, then beside ember in site-packages (nvidia/nccl/lib, where the
// wheel puts it), then wherever the dynamic loader finds libnccl.so.2; the dozen functions ember
// calls are looked up by name (nccl_abi.h spells out their types, so no NCCL header is needed to
// build). In an EMBER_CUDA=EMU build the same table is filled from the emulated device's host
// implementation (tools/cuda_emu/nccl_emu.cpp), so the backend's logic runs in CI without a GPU.
// Every collective is queued on ember's stream of the communicator's device, like a kernel: the
// host never waits for one, and the kernels queued after it see its result. A completion event
// after each lets a watchdog see a collective that never finishes (a peer died), as the host
// cannot: oldest_pending_seconds.
#include <dlfcn.h>

#include <chrono>
#include <deque>
#include <mutex>

#include "core/cuda/nccl_abi.h"
#include "core/cuda_backend.h"
#include "core/nccl_backend.h"
#ifdef EMBER_CUDA_EMULATED
#include "nccl_emu.h"
#endif

namespace ember::nccl {

namespace {

struct Library {
  Api api{};
  std::string path;   // where it was loaded from
  std::string error;  // why it could not be loaded ("" when it was)
};

#ifndef EMBER_CUDA_EMULATED
// Where this extension module lives: the wheel's libnccl.so.2 is at ../nvidia/nccl/lib from it.
std::string site_packages_guess() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&site_packages_guess), &info) || !info.dli_fname) return "";
  std::string self = info.dli_fname;
  const size_t slash = self.rfind('/');
  return slash == std::string::npos ? "." : self.substr(0, slash) + "/..";
}

template <class Fn>
bool look_up(void* handle, const char* name, Fn* slot, std::string* missing) {
  *slot = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!*slot) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *slot != nullptr;
}
#endif

Library load() {
  Library lib;
#ifdef EMBER_CUDA_EMULATED
  lib.api = emulated_nccl_api();
  lib.path = "(emulated: tools/cuda_emu/nccl_emu.cpp)";
#else
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("EMBER_NCCL_LIBRARY")) candidates.push_back(env);
  candidates.push_back(site_packages_guess() + "/nvidia/nccl/lib/libnccl.so.2");
  candidates.push_back("libnccl.so.2");
  void* handle = nullptr;
  std::string tried;
  for (const std::string& path : candidates) {
    if ((handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))) {
      lib.path = path;
      break;
    }
    const char* why = dlerror();
    tried += (tried.empty() ? " " : "; ") + (why ? std::string(why) : path + ": not found");  // dlerror names the file
  }
  if (!handle) {
    lib.error = "libnccl.so.2 was not found (pip install \"ember[distributed]\" brings it, as the "
                "nvidia-nccl-cu13 wheel; or set EMBER_NCCL_LIBRARY). Tried" + tried;
    return lib;
  }
  std::string missing;
  Api& a = lib.api;
  look_up(handle, "ncclGetVersion", &a.GetVersion, &missing);
  look_up(handle, "ncclGetErrorString", &a.GetErrorString, &missing);
  look_up(handle, "ncclGetUniqueId", &a.GetUniqueId, &missing);
  look_up(handle, "ncclCommInitRank", &a.CommInitRank, &missing);
  look_up(handle, "ncclCommDestroy", &a.CommDestroy, &missing);
  look_up(handle, "ncclCommAbort", &a.CommAbort, &missing);
  look_up(handle, "ncclCommGetAsyncError", &a.CommGetAsyncError, &missing);
  look_up(handle, "ncclAllReduce", &a.AllReduce, &missing);
  look_up(handle, "ncclBroadcast", &a.Broadcast, &missing);
  look_up(handle, "ncclAllGather", &a.AllGather, &missing);
  look_up(handle, "ncclReduceScatter", &a.ReduceScatter, &missing);
  look_up(handle, "ncclSend", &a.Send, &missing);
  look_up(handle, "ncclRecv", &a.Recv, &missing);
  if (!missing.empty()) lib.error = "the libnccl.so.2 found lacks " + missing + " (ember needs NCCL 2.10 or newer)";
#endif
  return lib;
}

const Library& library() {
  static const Library lib = load();
  return lib;
}

const Api& api(const char* op) {
  const std::string why = unavailable_reason();
  EMBER_CHECK(why.empty(), Runtime, "[", op, "] NCCL is not available: ", why);
  return library().api;
}

void check(ncclResult_t result, const char* op) {
  if (result == ncclSuccess) return;
  fail(ErrorKind::Runtime, "[", op, "] NCCL failed: ", library().api.GetErrorString(result),
       " (NCCL_DEBUG=WARN in the environment makes NCCL say more)");
}

ncclDataType_t nccl_dtype(DType dtype) {
  switch (dtype) {
    case DType::Bool: return ncclUint8;
    case DType::Int32: return ncclInt32;
    case DType::Int64: return ncclInt64;
    case DType::Float32: return ncclFloat32;
    case DType::Float64: return ncclFloat64;
  }
  return ncclFloat32;
}

// Bool tensors travel as bytes: their sum is "any" (max) and their product "all" (min), as in torch.
ncclRedOp_t nccl_op(ReduceOp op, DType dtype, const char* name) {
  if (dtype != DType::Bool) return static_cast<ncclRedOp_t>(op);
  EMBER_CHECK(op != ReduceOp::Avg, Type, "[", name, "] ReduceOp.AVG is not defined for ember.bool tensors");
  if (op == ReduceOp::Sum) return ncclMax;
  if (op == ReduceOp::Product) return ncclMin;
  return static_cast<ncclRedOp_t>(op);
}

using Clock = std::chrono::steady_clock;

}  // namespace

class Communicator {
 public:
  ncclComm_t comm = nullptr;
  int device = 0, rank = 0, nranks = 1;
  bool aborted = false;
  std::mutex mu;
  std::deque<std::pair<cudaEvent_t, Clock::time_point>> pending;  // one completion event per collective

  ~Communicator() {
    for (auto& [event, queued] : pending) cudaEventDestroy(event);
    if (comm && !aborted) library().api.CommDestroy(comm);
  }

  // Queues one NCCL call on the device's stream, then its completion event.
  template <class Call>
  void enqueue(const char* op, Call call) {
    EMBER_CHECK(!aborted, Runtime, "[", op, "] this NCCL communicator was aborted (after a timeout or a failed peer)");
    EMBER_CHECK(!cuda::is_capturing(device), Runtime, "[", op, "] NCCL collectives cannot be captured into a CUDA "
                "graph by ember: run them outside ember.cuda.graph");
    cuda::use_device(device);
    cudaStream_t stream = cuda::stream_of(device);
    check(call(stream), op);
    cudaEvent_t done = nullptr;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    EMBER_CUDA_CHECK(cudaEventRecord(done, stream));
    std::lock_guard<std::mutex> lock(mu);
    pending.emplace_back(done, Clock::now());
  }
};

std::string unavailable_reason() {
  if (!cuda::is_available()) return cuda::unavailable_reason();
  return library().error;
}

std::string library_path() { return library().error.empty() ? library().path : ""; }
std::string library_error() { return library().error; }

int version() {
  EMBER_CHECK(library().error.empty(), Runtime, "[nccl.version] NCCL is not available: ", library().error);
  int v = 0;
  check(library().api.GetVersion(&v), "nccl.version");
  return v;
}

std::string unique_id() {
  ncclUniqueId id;
  check(api("nccl.unique_id").GetUniqueId(&id), "nccl.unique_id");
  return std::string(id.internal, sizeof(id.internal));
}

std::shared_ptr<Communicator> join(const std::string& id, int nranks, int rank, int device) {
  const Api& a = api("init_process_group");
  EMBER_CHECK(id.size() == EMBER_NCCL_UNIQUE_ID_BYTES, Value, "[init_process_group] an NCCL unique id has ",
              EMBER_NCCL_UNIQUE_ID_BYTES, " bytes, got ", id.size());
  EMBER_CHECK(nranks > 0 && rank >= 0 && rank < nranks, Value, "[init_process_group] rank ", rank,
              " is not in a world of ", nranks);
  cuda::check_device("init_process_group", Device{DeviceType::CUDA, device});
  ncclUniqueId uid;
  std::copy(id.begin(), id.end(), uid.internal);
  auto comm = std::make_shared<Communicator>();
  comm->device = device;
  comm->rank = rank;
  comm->nranks = nranks;
  cuda::use_device(device);
  check(a.CommInitRank(&comm->comm, nranks, uid, rank), "init_process_group");
  return comm;
}

int device_of(const Communicator& comm) { return comm.device; }
int rank_of(const Communicator& comm) { return comm.rank; }
int size_of(const Communicator& comm) { return comm.nranks; }

void all_reduce(Communicator& c, const void* send, void* recv, size_t count, DType dtype, ReduceOp op) {
  const Api& a = api("all_reduce");
  const ncclRedOp_t nop = nccl_op(op, dtype, "all_reduce");
  c.enqueue("all_reduce", [&](cudaStream_t s) { return a.AllReduce(send, recv, count, nccl_dtype(dtype), nop, c.comm, s); });
}

void broadcast(Communicator& c, const void* send, void* recv, size_t count, DType dtype, int root) {
  const Api& a = api("broadcast");
  c.enqueue("broadcast", [&](cudaStream_t s) { return a.Broadcast(send, recv, count, nccl_dtype(dtype), root, c.comm, s); });
}

void all_gather(Communicator& c, const void* send, void* recv, size_t send_count, DType dtype) {
  const Api& a = api("all_gather");
  c.enqueue("all_gather", [&](cudaStream_t s) { return a.AllGather(send, recv, send_count, nccl_dtype(dtype), c.comm, s); });
}

void reduce_scatter(Communicator& c, const void* send, void* recv, size_t recv_count, DType dtype, ReduceOp op) {
  const Api& a = api("reduce_scatter");
  const ncclRedOp_t nop = nccl_op(op, dtype, "reduce_scatter");
  c.enqueue("reduce_scatter",
            [&](cudaStream_t s) { return a.ReduceScatter(send, recv, recv_count, nccl_dtype(dtype), nop, c.comm, s); });
}

void send(Communicator& c, const void* buf, size_t count, DType dtype, int peer) {
  const Api& a = api("send");
  c.enqueue("send", [&](cudaStream_t s) { return a.Send(buf, count, nccl_dtype(dtype), peer, c.comm, s); });
}

void recv(Communicator& c, void* buf, size_t count, DType dtype, int peer) {
  const Api& a = api("recv");
  c.enqueue("recv", [&](cudaStream_t s) { return a.Recv(buf, count, nccl_dtype(dtype), peer, c.comm, s); });
}

std::string async_error(Communicator& c) {
  if (c.aborted) return "the communicator was aborted";
  ncclResult_t state = ncclSuccess;
  const ncclResult_t r = library().api.CommGetAsyncError(c.comm, &state);
  if (r != ncclSuccess) return library().api.GetErrorString(r);
  return state == ncclSuccess || state == ncclInProgress ? "" : library().api.GetErrorString(state);
}

double oldest_pending_seconds(Communicator& c) {
  std::lock_guard<std::mutex> lock(c.mu);
  while (!c.pending.empty()) {
    const cudaError_t e = cudaEventQuery(c.pending.front().first);
    if (e == cudaErrorNotReady) return std::chrono::duration<double>(Clock::now() - c.pending.front().second).count();
    if (e != cudaSuccess) cudaGetLastError();  // reported by the next sync of the stream instead
    cudaEventDestroy(c.pending.front().first);
    c.pending.pop_front();
  }
  return 0;
}

void abort(Communicator& c) {
  if (c.aborted) return;
  c.aborted = true;
  library().api.CommAbort(c.comm);
}

}  // namespace ember::nccl
