// What one element of each random fill is, as a function of (seed, counter): shared by the CPU
// loop and the CUDA kernel so both give the same numbers for the same seed
// (Note [Counter-based generator]). Each kind reproduces exactly what ops/random.cpp computed
// before the kernels were split out, so seeded results did not change.
#pragma once
#include <cstdint>

#include "kernels/random_bits.h"

namespace ember::kernels {

enum class RandomKind : uint8_t {
  Rand,     // uniform01<T>                      (rand)
  Randn,    // standard_normal<T>                (randn)
  Uniform,  // a + (b - a) * uniform01<double>   (uniform_)
  Normal,   // a + b * standard_normal<double>   (normal_; a = mean, b = std)
  Randint,  // low + bits % range                (randint)
};

struct RandomSpec {
  RandomKind kind;
  double a = 0, b = 0;
  int64_t low = 0;
  uint64_t range = 1;

  // Counters one element consumes (Box-Muller draws two uniforms).
  EMBER_HD uint64_t counters_per_element() const {
    return kind == RandomKind::Randn || kind == RandomKind::Normal ? 2 : 1;
  }

  template <typename T>
  EMBER_HD T operator()(uint64_t seed, uint64_t counter) const {
    switch (kind) {
      case RandomKind::Rand:
        if constexpr (std::is_floating_point_v<T>) return uniform01<T>(seed, counter);
        break;
      case RandomKind::Randn:
        if constexpr (std::is_floating_point_v<T>) return standard_normal<T>(seed, counter);
        break;
      case RandomKind::Uniform: return static_cast<T>(a + (b - a) * uniform01<double>(seed, counter));
      case RandomKind::Normal: return static_cast<T>(a + b * standard_normal<double>(seed, counter));
      // low + r in uint64, where it wraps (defined): with range up to 2^64 - 1, r can pass INT64_MAX.
      case RandomKind::Randint:
        return static_cast<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + random_bits(seed, counter) % range));
    }
    return T(0);
  }
};

}  // namespace ember::kernels
