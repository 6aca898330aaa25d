// Note [The emulated NCCL]
// The "nccl" backend of ember.distributed (communicators, collectives queued on ember's stream, the
// watchdog, DistributedDataParallel over CUDA tensors) runs in CI on the emulated device: each rank
// is a process with its own emulated GPU, and this file is the NCCL those processes call, on the
// host, with the files of a shared folder (/dev/shm, else the temporary folder) as the wire.
// - ncclGetUniqueId makes a random token; the folder ember-nccl-emu-<token> is the communicator.
//   ncclCommInitRank writes join-<rank> and waits for every rank's, as NCCL's init waits for all.
// - A collective is a host function queued on the stream (cudaLaunchHostFunc), so it runs in
//   stream order, late, like the kernel NCCL would launch. When the stream reaches it, the rank
//   publishes its part as c<n>-<rank> (written under another name and renamed, so that no reader
//   sees half a file), waits for every rank's part of the same collective n, computes its output
//   from them in rank order (so every rank gets the same bits), publishes c<n>-<rank>.done, and
//   once all have, deletes its part. Collectives are numbered per communicator in the order the
//   rank queued them: NCCL's rule that all ranks call collectives in the same order is what makes
//   the numbers meet.
// - send/recv have their own numbers per (sender, receiver) pair, p<src>-<dst>-<n>; the sender does
//   not wait for the receiver, which deletes the file it read.
// - A wait longer than EMBER_NCCL_EMU_TIMEOUT seconds (default 300; ember.distributed sets it from
//   init_process_group's timeout) fails the communicator with ncclRemoteError, which
//   ncclCommGetAsyncError reports, and leaves the collective's output unwritten, as a collective
//   whose peer died never completes on a GPU. ncclCommAbort makes every wait give up at once.
// - The rank that finds every rank's left-<rank> (ncclCommDestroy) removes the folder.
#include "nccl_emu.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr char kMagic[] = "ember-nccl-emu";

struct Comm {
  std::string dir;
  int nranks = 0, rank = 0;
  double timeout_s = 300;
  std::atomic<int> error{ncclSuccess};
  std::atomic<bool> aborted{false};
  uint64_t collectives = 0;  // queued so far (host order)
  std::map<int, uint64_t> sent, received;
};

}  // namespace

struct ncclComm {
  std::shared_ptr<Comm> state;
};

namespace {

using Clock = std::chrono::steady_clock;

std::string path(const Comm& c, const std::string& name) { return c.dir + "/" + name; }

bool exists(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

void publish(const std::string& p, const void* data, size_t n) {
  const std::string tmp = p + ".tmp";
  const int fd = open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) return;
  const char* bytes = static_cast<const char*>(data);
  for (size_t done = 0; done < n;) {
    const ssize_t w = write(fd, bytes + done, n - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  close(fd);
  rename(tmp.c_str(), p.c_str());
}

std::vector<char> read_all(const std::string& p) {
  std::vector<char> out;
  const int fd = open(p.c_str(), O_RDONLY);
  if (fd < 0) return out;
  struct stat st{};
  fstat(fd, &st);
  out.resize(static_cast<size_t>(st.st_size));
  for (size_t done = 0; done < out.size();) {
    const ssize_t r = read(fd, out.data() + done, out.size() - done);
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  close(fd);
  return out;
}

// Waits for a file a peer publishes; false (and the communicator failed) past the timeout.
bool wait_for(Comm& c, const std::string& name, const char* what) {
  const std::string p = path(c, name);
  const auto deadline = Clock::now() + std::chrono::duration<double>(c.timeout_s);
  auto pause = std::chrono::microseconds(20);
  while (!exists(p)) {
    if (c.aborted || c.error != ncclSuccess) return false;
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "ember emulated NCCL: rank %d of %d waited %.0f s for %s (%s); a peer died or stopped "
                   "calling collectives. The communicator has failed (EMBER_NCCL_EMU_TIMEOUT).\n",
                   c.rank, c.nranks, c.timeout_s, what, name.c_str());
      c.error = ncclRemoteError;
      return false;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  return true;
}

size_t type_size(ncclDataType_t t) {
  switch (t) {
    case ncclInt8: case ncclUint8: return 1;
    case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
    case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
    default: return 0;  // float16 / bfloat16: ember has neither
  }
}

template <class T>
void combine(T* acc, const T* in, size_t n, ncclRedOp_t op) {
  for (size_t i = 0; i < n; ++i) {
    switch (op) {
      case ncclSum: case ncclAvg: acc[i] = acc[i] + in[i]; break;
      case ncclProd: acc[i] = acc[i] * in[i]; break;
      case ncclMax: if (in[i] > acc[i] || in[i] != in[i]) acc[i] = in[i]; break;  // NaN wins, as on a GPU
      case ncclMin: if (in[i] < acc[i] || in[i] != in[i]) acc[i] = in[i]; break;
    }
  }
}

template <class T>
void divide(T* acc, size_t n, int by) {
  for (size_t i = 0; i < n; ++i) acc[i] = static_cast<T>(acc[i] / static_cast<T>(by));
}

// acc = acc (op) in, elementwise over n elements of type t.
void reduce_into(void* acc, const void* in, size_t n, ncclDataType_t t, ncclRedOp_t op) {
  switch (t) {
    case ncclInt8: combine(static_cast<int8_t*>(acc), static_cast<const int8_t*>(in), n, op); break;
    case ncclUint8: combine(static_cast<uint8_t*>(acc), static_cast<const uint8_t*>(in), n, op); break;
    case ncclInt32: combine(static_cast<int32_t*>(acc), static_cast<const int32_t*>(in), n, op); break;
    case ncclUint32: combine(static_cast<uint32_t*>(acc), static_cast<const uint32_t*>(in), n, op); break;
    case ncclInt64: combine(static_cast<int64_t*>(acc), static_cast<const int64_t*>(in), n, op); break;
    case ncclUint64: combine(static_cast<uint64_t*>(acc), static_cast<const uint64_t*>(in), n, op); break;
    case ncclFloat32: combine(static_cast<float*>(acc), static_cast<const float*>(in), n, op); break;
    case ncclFloat64: combine(static_cast<double*>(acc), static_cast<const double*>(in), n, op); break;
    default: break;
  }
}

void average(void* acc, size_t n, ncclDataType_t t, int nranks) {
  switch (t) {
    case ncclInt8: divide(static_cast<int8_t*>(acc), n, nranks); break;
    case ncclUint8: divide(static_cast<uint8_t*>(acc), n, nranks); break;
    case ncclInt32: divide(static_cast<int32_t*>(acc), n, nranks); break;
    case ncclUint32: divide(static_cast<uint32_t*>(acc), n, nranks); break;
    case ncclInt64: divide(static_cast<int64_t*>(acc), n, nranks); break;
    case ncclUint64: divide(static_cast<uint64_t*>(acc), n, nranks); break;
    case ncclFloat32: divide(static_cast<float*>(acc), n, nranks); break;
    case ncclFloat64: divide(static_cast<double*>(acc), n, nranks); break;
    default: break;
  }
}

enum class Kind { AllReduce, Broadcast, AllGather, ReduceScatter, Send, Recv };

// One queued call, owned by the host function that runs it.
struct Task {
  std::shared_ptr<Comm> comm;
  Kind kind;
  const void* send;
  void* recv;
  size_t count;  // elements: all_reduce/broadcast/send/recv; per rank: all_gather (sent), reduce_scatter (received)
  ncclDataType_t type;
  ncclRedOp_t op;
  int root_or_peer;
  uint64_t number;
};

// A collective, when the stream reaches it: exchange the parts, then compute this rank's output.
void run_collective(Task& t) {
  Comm& c = *t.comm;
  const size_t es = type_size(t.type);
  const std::string mine = "c" + std::to_string(t.number) + "-" + std::to_string(c.rank);
  size_t part = t.count * es;  // bytes this rank contributes
  if (t.kind == Kind::ReduceScatter) part = t.count * es * c.nranks;
  if (t.kind == Kind::Broadcast && c.rank != t.root_or_peer) part = 0;
  publish(path(c, mine), t.send, part);
  std::vector<std::vector<char>> parts(c.nranks);
  for (int r = 0; r < c.nranks; ++r) {
    const std::string name = "c" + std::to_string(t.number) + "-" + std::to_string(r);
    if (!wait_for(c, name, "a peer's part of a collective")) return;
    parts[r] = read_all(path(c, name));
  }
  switch (t.kind) {
    case Kind::AllReduce: case Kind::ReduceScatter: {
      const size_t offset = t.kind == Kind::ReduceScatter ? c.rank * t.count * es : 0;
      std::vector<char> acc(parts[0].begin() + offset, parts[0].begin() + offset + t.count * es);
      for (int r = 1; r < c.nranks; ++r) reduce_into(acc.data(), parts[r].data() + offset, t.count, t.type, t.op);
      if (t.op == ncclAvg) average(acc.data(), t.count, t.type, c.nranks);
      std::memcpy(t.recv, acc.data(), acc.size());
      break;
    }
    case Kind::Broadcast: std::memcpy(t.recv, parts[t.root_or_peer].data(), t.count * es); break;
    case Kind::AllGather:
      for (int r = 0; r < c.nranks; ++r) std::memcpy(static_cast<char*>(t.recv) + r * t.count * es, parts[r].data(), t.count * es);
      break;
    default: break;
  }
  publish(path(c, mine + ".done"), "", 0);
  for (int r = 0; r < c.nranks; ++r)
    if (!wait_for(c, "c" + std::to_string(t.number) + "-" + std::to_string(r) + ".done", "a peer to finish a collective"))
      return;
  unlink(path(c, mine).c_str());
  if (t.number > 0) unlink(path(c, "c" + std::to_string(t.number - 1) + "-" + std::to_string(c.rank) + ".done").c_str());
}

void run_point_to_point(Task& t) {
  Comm& c = *t.comm;
  const size_t bytes = t.count * type_size(t.type);
  const int src = t.kind == Kind::Send ? c.rank : t.root_or_peer, dst = t.kind == Kind::Send ? t.root_or_peer : c.rank;
  const std::string name = "p" + std::to_string(src) + "-" + std::to_string(dst) + "-" + std::to_string(t.number);
  if (t.kind == Kind::Send) return publish(path(c, name), t.send, bytes);
  if (!wait_for(c, name, "a peer's send")) return;
  const std::vector<char> data = read_all(path(c, name));
  std::memcpy(t.recv, data.data(), std::min(bytes, data.size()));
  unlink(path(c, name).c_str());
}

void run_task(void* p) {
  std::unique_ptr<Task> t(static_cast<Task*>(p));
  if (t->comm->aborted || t->comm->error != ncclSuccess) return;
  if (t->kind == Kind::Send || t->kind == Kind::Recv) run_point_to_point(*t);
  else run_collective(*t);
}

ncclResult_t queue(ncclComm_t comm, Task task, cudaStream_t stream) {
  if (!comm || type_size(task.type) == 0 || task.op < ncclSum || task.op > ncclAvg) return ncclInvalidArgument;
  Comm& c = *comm->state;
  if (task.root_or_peer < 0 || task.root_or_peer >= c.nranks) return ncclInvalidArgument;
  if (task.kind == Kind::Send) task.number = c.sent[task.root_or_peer]++;
  else if (task.kind == Kind::Recv) task.number = c.received[task.root_or_peer]++;
  else task.number = c.collectives++;
  task.comm = comm->state;
  auto* owned = new Task(std::move(task));
  if (cudaLaunchHostFunc(stream, run_task, owned) != cudaSuccess) {
    delete owned;
    return ncclUnhandledCudaError;
  }
  return ncclSuccess;
}

ncclResult_t get_version(int* v) {
  *v = 23206;  // the NCCL this stands in for: 2.32.6, the nvidia-nccl-cu13 wheel of ember[distributed]
  return ncclSuccess;
}

const char* error_string(ncclResult_t r) {
  switch (r) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error";
    case ncclSystemError: return "unhandled system error (emulated NCCL: the shared folder could not be used)";
    case ncclInternalError: return "internal error";
    case ncclInvalidArgument: return "invalid argument";
    case ncclInvalidUsage: return "invalid usage";
    case ncclRemoteError: return "remote process exited or there was a network error (emulated NCCL: a wait timed out)";
    case ncclInProgress: return "NCCL operation in progress";
  }
  return "unknown result code";
}

std::string shared_folder() {
  struct stat st{};
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
  const char* tmp = std::getenv("TMPDIR");
  return tmp ? tmp : "/tmp";
}

ncclResult_t get_unique_id(ncclUniqueId* id) {
  std::memset(id->internal, 0, sizeof(id->internal));
  std::random_device rd;
  const uint64_t token = (uint64_t(rd()) << 32 | rd()) ^ uint64_t(getpid()) << 16;
  std::snprintf(id->internal, sizeof(id->internal), "%s-%016llx", kMagic, static_cast<unsigned long long>(token));
  return ncclSuccess;
}

ncclResult_t comm_init_rank(ncclComm_t* out, int nranks, ncclUniqueId id, int rank) {
  if (std::strncmp(id.internal, kMagic, sizeof(kMagic) - 1) != 0 || nranks < 1 || rank < 0 || rank >= nranks)
    return ncclInvalidArgument;
  auto c = std::make_shared<Comm>();
  c->dir = shared_folder() + "/" + std::string(id.internal, strnlen(id.internal, sizeof(id.internal)));
  c->nranks = nranks;
  c->rank = rank;
  if (const char* t = std::getenv("EMBER_NCCL_EMU_TIMEOUT")) c->timeout_s = std::atof(t);
  if (mkdir(c->dir.c_str(), 0700) != 0 && errno != EEXIST) return ncclSystemError;
  publish(path(*c, "join-" + std::to_string(rank)), "", 0);
  for (int r = 0; r < nranks; ++r)
    if (!wait_for(*c, "join-" + std::to_string(r), "a peer to join the communicator")) return ncclRemoteError;
  *out = new ncclComm{c};
  return ncclSuccess;
}

ncclResult_t comm_destroy(ncclComm_t comm) {
  if (!comm) return ncclInvalidArgument;
  Comm& c = *comm->state;
  publish(path(c, "left-" + std::to_string(c.rank)), "", 0);
  bool all_left = true;
  for (int r = 0; r < c.nranks; ++r) all_left = all_left && exists(path(c, "left-" + std::to_string(r)));
  if (all_left) {  // nobody waits for anything in the folder any more
    if (DIR* d = opendir(c.dir.c_str())) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') unlink(path(c, e->d_name).c_str());
      closedir(d);
    }
    rmdir(c.dir.c_str());
  }
  delete comm;
  return ncclSuccess;
}

ncclResult_t comm_abort(ncclComm_t comm) {
  if (!comm) return ncclInvalidArgument;
  comm->state->aborted = true;  // queued tasks hold the state; they see this and return
  delete comm;
  return ncclSuccess;
}

ncclResult_t comm_get_async_error(ncclComm_t comm, ncclResult_t* state) {
  if (!comm) return ncclInvalidArgument;
  *state = static_cast<ncclResult_t>(comm->state->error.load());
  return ncclSuccess;
}

ncclResult_t all_reduce(const void* s, void* r, size_t n, ncclDataType_t t, ncclRedOp_t op, ncclComm_t c, cudaStream_t st) {
  return queue(c, {nullptr, Kind::AllReduce, s, r, n, t, op, 0, 0}, st);
}
ncclResult_t broadcast(const void* s, void* r, size_t n, ncclDataType_t t, int root, ncclComm_t c, cudaStream_t st) {
  return queue(c, {nullptr, Kind::Broadcast, s, r, n, t, ncclSum, root, 0}, st);
}
ncclResult_t all_gather(const void* s, void* r, size_t n, ncclDataType_t t, ncclComm_t c, cudaStream_t st) {
  return queue(c, {nullptr, Kind::AllGather, s, r, n, t, ncclSum, 0, 0}, st);
}
ncclResult_t reduce_scatter(const void* s, void* r, size_t n, ncclDataType_t t, ncclRedOp_t op, ncclComm_t c,
                            cudaStream_t st) {
  return queue(c, {nullptr, Kind::ReduceScatter, s, r, n, t, op, 0, 0}, st);
}
ncclResult_t send(const void* s, size_t n, ncclDataType_t t, int peer, ncclComm_t c, cudaStream_t st) {
  return queue(c, {nullptr, Kind::Send, s, nullptr, n, t, ncclSum, peer, 0}, st);
}
ncclResult_t recv(void* r, size_t n, ncclDataType_t t, int peer, ncclComm_t c, cudaStream_t st) {
  return queue(c, {nullptr, Kind::Recv, nullptr, r, n, t, ncclSum, peer, 0}, st);
}

}  // namespace

const ember::nccl::Api& emulated_nccl_api() {
  static const ember::nccl::Api api{get_version,  error_string,         get_unique_id, comm_init_rank, comm_destroy,
                                    comm_abort,   comm_get_async_error, all_reduce,    broadcast,      all_gather,
                                    reduce_scatter, send,               recv};
  return api;
}
