// Note [Counter-based generator]
// Element i of a random tensor is a pure function of (seed, offset + i): a SplitMix64 hash.
// There is no sequential state to carry between elements, so the CPU loop and a CUDA kernel
// produce identical numbers for the same seed, and any element can be computed independently.
// Each call advances the generator's offset by the number of counters it consumed.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/functors.h"

namespace ember::kernels {

EMBER_HD inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

EMBER_HD inline uint64_t random_bits(uint64_t seed, uint64_t counter) {
  return splitmix64(splitmix64(seed) ^ counter);
}

// Uniform in [0, 1) with the full mantissa of T.
template <typename T>
EMBER_HD inline T uniform01(uint64_t seed, uint64_t counter) {
  uint64_t bits = random_bits(seed, counter);
  if constexpr (sizeof(T) == 4) return static_cast<T>(bits >> 40) * static_cast<T>(1.0 / 16777216.0);
  else return static_cast<T>(bits >> 11) * static_cast<T>(1.0 / 9007199254740992.0);
}

// Standard normal from counters c and c+1 (Box-Muller, cosine branch), computed in double.
template <typename T>
EMBER_HD inline T standard_normal(uint64_t seed, uint64_t c) {
  double u1 = uniform01<double>(seed, c), u2 = uniform01<double>(seed, c + 1);
  double r = std::sqrt(-2.0 * std::log(1.0 - u1));  // 1 - u1 is in (0, 1]: log never sees 0
  return static_cast<T>(r * std::cos(6.283185307179586 * u2));
}

}  // namespace ember::kernels
