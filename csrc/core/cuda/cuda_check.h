// EMBER_CUDA_CHECK: every CUDA runtime call is checked, and a failure names the call, the error
// and where it happened. Only translation units of the CUDA build include this (it needs CUDA's
// headers); everything else goes through core/cuda_backend.h.
#pragma once
#include <cuda_runtime_api.h>

#include "core/error.h"

namespace ember::cuda {

[[noreturn]] void fail_call(const char* call, cudaError_t err, const char* file, int line);

// The stream every kernel and copy of the current device is queued on (one per device; created
// on first use, never destroyed). Kernels launch on it; nothing uses the legacy default stream.
cudaStream_t current_stream();
cudaStream_t stream_of(int index);

// The current device's number of SMs (asked once per device), for launch shapes that should fill it.
int multiprocessor_count();

// Remembers the last kernel launched from this thread, so that an asynchronous error reported
// at the next sync can name it (Note [Asynchronous CUDA errors]).
void note_launch(const char* kernel_name);

// The block size a request of nbytes gets: whole steps of `step` bytes up to 1 MiB, then four steps
// per power of two (at most a quarter more than asked). Shared by both caching allocators.
size_t size_class(size_t nbytes, size_t step);

// A copy queued on `stream` reads the pinned block that holds host_ptr: the block is not handed
// out again before the copy has run (Note [Pinned blocks are cached], pinned_allocator.cpp).
void record_pinned_use(const void* host_ptr, cudaStream_t stream);

}  // namespace ember::cuda

#define EMBER_CUDA_CHECK(call)                                                  \
  do {                                                                          \
    cudaError_t ember_cuda_err_ = (call);                                       \
    if (ember_cuda_err_ != cudaSuccess)                                         \
      ::ember::cuda::fail_call(#call, ember_cuda_err_, __FILE__, __LINE__);     \
  } while (0)

// After a <<<...>>> launch: a bad configuration is reported here, naming the kernel.
#define EMBER_CUDA_CHECK_LAUNCH(kernel_name)                                    \
  do {                                                                          \
    ::ember::cuda::note_launch(kernel_name);                                    \
    cudaError_t ember_cuda_err_ = cudaGetLastError();                           \
    if (ember_cuda_err_ != cudaSuccess)                                         \
      ::ember::cuda::fail_call(kernel_name, ember_cuda_err_, __FILE__, __LINE__); \
  } while (0)
