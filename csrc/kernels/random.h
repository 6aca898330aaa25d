// The random fill: element i of `out` is spec(seed, first + i * spec.counters_per_element()),
// computed by the same code on both sides (kernels/random_functors.h): kernels/cpu/random.cpp and
// its CUDA twin kernels/cuda/random.cu give the same numbers (Note [Random fills match the CPU
// bit for bit]).
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/random_functors.h"
#include "kernels/twins.h"

#define EMBER_RANDOM_KERNELS \
  void random_fill(DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first, const RandomSpec& spec);

EMBER_DECLARE_TWINS(EMBER_RANDOM_KERNELS)
