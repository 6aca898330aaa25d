// CUDA twin of kernels::cpu::random_fill: element i is spec(seed, first + i * counters), computed
// by the same EMBER_HD code as on the CPU (kernels/random_functors.h).
//
// Note [Random fills match the CPU bit for bit]: this file is compiled with --fmad=false
// (CMakeLists.txt), so `a + (b - a) * u` is rounded twice as on the CPU instead of fused: rand,
// uniform_ and randint give identical numbers on both devices for the same seed. randn and
// normal_ go through the device's log and cos, which may differ from the host's in the last bit.
#include "kernels/random.h"
#include "kernels/cuda/launch.cuh"

namespace ember::kernels::cuda {

namespace {

template <typename T>
__global__ void random_kernel(T* out, int64_t n, uint64_t seed, uint64_t first, RandomSpec spec) {
  const uint64_t per = spec.counters_per_element();
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = spec.operator()<T>(seed, first + per * static_cast<uint64_t>(i));
}

}  // namespace

void random_fill(DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first, const RandomSpec& spec) {
  if (n == 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
  EMBER_DISPATCH_NUMERIC(dtype, "random", [&] {
    random_kernel<<<blocks, kThreads, 0, ember::cuda::current_stream()>>>(static_cast<scalar_t*>(out), n, seed,
                                                                         first, spec);
    EMBER_CUDA_CHECK_LAUNCH("random_fill");
  });
}

}  // namespace ember::kernels::cuda
