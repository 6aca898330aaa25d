// What ember.distributed's "nccl" backend asks of NCCL: communicators over CUDA devices and the
// collectives, queued on ember's stream of the communicator's device (Note [NCCL at run time],
// core/cuda/nccl.cpp). No CUDA or NCCL types here; a build without CUDA links the answers of
// core/cuda_unavailable.cpp, which say why there is no NCCL.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"

namespace ember::nccl {

// "" when NCCL can be used; else why not (no CUDA in this build, libnccl.so.2 not found, ...).
std::string unavailable_reason();
// Where libnccl.so.2 was loaded from ("" if it was not: library_error() says why). Loading it
// needs no GPU; using it does.
std::string library_path();
std::string library_error();
// NCCL's version as major * 10000 + minor * 100 + patch (NCCL_VERSION_CODE); raises if not loaded.
int version();

// The bytes that name a new communicator (ncclGetUniqueId): made on one rank, handed to the others.
std::string unique_id();

// torch.distributed.ReduceOp's members, as NCCL numbers them.
enum class ReduceOp : int { Sum = 0, Product = 1, Max = 2, Min = 3, Avg = 4 };

class Communicator;
// Joins the communicator `id` as `rank` of `nranks`, on CUDA device `device`; returns when all the
// ranks have joined. Destroying the last reference destroys the NCCL communicator.
std::shared_ptr<Communicator> join(const std::string& id, int nranks, int rank, int device);
int device_of(const Communicator& comm);
int rank_of(const Communicator& comm);
int size_of(const Communicator& comm);

// The collectives, each queued on the communicator device's stream: they return before the data
// moved, and what runs after them on that stream sees the result. Buffers are device pointers.
void all_reduce(Communicator& comm, const void* send, void* recv, size_t count, DType dtype, ReduceOp op);
void broadcast(Communicator& comm, const void* send, void* recv, size_t count, DType dtype, int root);
void all_gather(Communicator& comm, const void* send, void* recv, size_t send_count, DType dtype);
void reduce_scatter(Communicator& comm, const void* send, void* recv, size_t recv_count, DType dtype, ReduceOp op);
void send(Communicator& comm, const void* buf, size_t count, DType dtype, int peer);
void recv(Communicator& comm, void* buf, size_t count, DType dtype, int peer);

// What went wrong while the queued collectives ran ("" if nothing): a peer that died or timed out
// shows here, not as an exception from the call that queued the collective.
std::string async_error(Communicator& comm);
// Seconds since the oldest collective still running on the device was queued (0 when none is): a
// watchdog compares it with the process group's timeout.
double oldest_pending_seconds(Communicator& comm);
// Gives up on the communicator: what is queued stops waiting for peers; the communicator is unusable.
void abort(Communicator& comm);

}  // namespace ember::nccl
