// The CPU random fill: element i of `out` is spec(seed, first + i * spec.counters_per_element()).
// Its CUDA twin (kernels/cuda/elementwise.h) gives the same numbers.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/random_functors.h"

namespace ember::kernels::cpu {

void random_fill(DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first, const RandomSpec& spec);

}  // namespace ember::kernels::cpu
