// The CPU random fill (kernels/random.h); its CUDA twin is kernels/cuda/random.cu.
#include "kernels/random.h"

namespace ember::kernels::cpu {

void random_fill(DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first, const RandomSpec& spec) {
  const uint64_t per = spec.counters_per_element();
  EMBER_DISPATCH_NUMERIC(dtype, "random", [&] {
    auto* p = static_cast<scalar_t*>(out);
    for (int64_t i = 0; i < n; ++i) p[i] = spec.operator()<scalar_t>(seed, first + per * static_cast<uint64_t>(i));
  });
}

}  // namespace ember::kernels::cpu
