// Host versions of the few ember::cuda runtime functions the kernel sources call
// (core/cuda/cuda_check.h, core/cuda_backend.h, core/cuda/kernel_error.h), for the emulator.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cuda/cuda_check.h"
#include "core/cuda/kernel_error.h"
#include "core/cuda_backend.h"

namespace ember::cuda {

namespace {
KernelErrorReport g_report{};
}

cudaStream_t current_stream() { return nullptr; }
cudaStream_t stream_of(int) { return nullptr; }
void note_launch(const char*) {}
int multiprocessor_count() { return 132; }  // the emulated device's (an H100's)
void fail_call(const char* call, cudaError_t, const char* file, int line) {
  std::fprintf(stderr, "EMU ERROR: CUDA call failed: %s at %s:%d\n", call, file, line);
  std::_Exit(3);
}
bool is_available() { return true; }
int current_device() { return 0; }
void use_device(int) {}

// Scratch from "the pool": filled with 0xff bytes (NaN for floats, -1 for integers), so a kernel
// that reads scratch it never wrote gives a visible wrong answer, as stale pool memory would.
std::shared_ptr<void> allocate(size_t nbytes, int) {
  void* p = std::malloc(nbytes ? nbytes : 1);
  std::memset(p, 0xff, nbytes);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

void copy_bytes(void* dst, Device, const void* src, Device, size_t nbytes, bool) { std::memcpy(dst, src, nbytes); }

KernelErrorReport* kernel_error_report(int) { return &g_report; }
void raise_kernel_error(int) {}

}  // namespace ember::cuda
