// CUDA twin of kernels::cpu::multinomial_*: a thread per draw (with replacement: a binary search
// of its row's running sums) or per category key (without replacement); the same counters as
// the CPU twin, so the same samples (Note [Inverse CDF draw], Note [Exponential race]).
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/multinomial.h"

namespace ember::kernels::cuda {

namespace {

__global__ void draw_with_replacement(int64_t* out, const double* cdf, int64_t rows, int64_t categories,
                                      int64_t num_samples, uint64_t seed, uint64_t first) {
  const int64_t total = rows * num_samples, step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const double u = uniform01<double>(seed, first + static_cast<uint64_t>(e));
    out[e] = inverse_cdf_pick(cdf + (e / num_samples) * categories, categories, u);
  }
}

template <typename T>
__global__ void race_keys(double* keys, const T* probs, int64_t n, uint64_t seed, uint64_t first) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    keys[i] = race_key(probs[i], seed, first + static_cast<uint64_t>(i));
}

}  // namespace

void multinomial_with_replacement(int64_t* out, const double* cdf, int64_t rows, int64_t categories,
                                  int64_t num_samples, uint64_t seed, uint64_t first) {
  if (rows == 0 || num_samples == 0) return;
  draw_with_replacement<<<grid_for(rows * num_samples, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
      out, cdf, rows, categories, num_samples, seed, first);
  EMBER_CUDA_CHECK_LAUNCH("multinomial");
}

void multinomial_race_keys(DType dtype, double* keys, const void* probs, int64_t n, uint64_t seed, uint64_t first) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "multinomial", [&] {
    race_keys<<<grid_for(n, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        keys, static_cast<const scalar_t*>(probs), n, seed, first);
    EMBER_CUDA_CHECK_LAUNCH("multinomial");
  });
}

}  // namespace ember::kernels::cuda
