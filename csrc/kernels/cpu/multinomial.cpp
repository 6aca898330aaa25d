#include "kernels/multinomial.h"

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

void multinomial_with_replacement(int64_t* out, const double* cdf, int64_t rows, int64_t categories,
                                  int64_t num_samples, uint64_t seed, uint64_t first) {
  if (rows == 0 || num_samples == 0) return;
  parallel_for(rows * num_samples, kParallelGrain / 16, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      const double u = uniform01<double>(seed, first + static_cast<uint64_t>(e));
      out[e] = inverse_cdf_pick(cdf + (e / num_samples) * categories, categories, u);
    }
  });
}

void multinomial_race_keys(DType dtype, double* keys, const void* probs, int64_t n, uint64_t seed, uint64_t first) {
  EMBER_DISPATCH_FLOATING(dtype, "multinomial", [&] {
    auto* p = static_cast<const scalar_t*>(probs);
    parallel_for(n, kParallelGrain / 8, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) keys[i] = race_key(p[i], seed, first + static_cast<uint64_t>(i));
    });
  });
}

}  // namespace ember::kernels::cpu
