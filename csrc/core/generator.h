// A random generator, as torch.Generator: a seed and the next unused counter of ember's
// counter-based stream (Note [Counter-based generator], kernels/random_bits.h). Every random op
// takes one (nullptr means the default generator that ember.manual_seed seeds).
//
// Note [RNG state is (seed, offset)]: element i of a random tensor is a pure function of
// (seed, first + i), so a generator's whole state is its seed and offset; restoring both replays
// the same random numbers (checkpointing, get_state/set_state).
#pragma once
#include <cstdint>
#include <mutex>
#include <utility>

#include "core/device.h"

namespace ember {

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default seed

  // The stream is the same on every device; `device` is what torch.Generator(device=) records,
  // and random ops check it against the device they fill.
  explicit Generator(Device device = cpu_device(), uint64_t seed = kDefaultSeed) : device_(device), seed_(seed) {}
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  Device device() const { return device_; }
  void manual_seed(uint64_t seed);  // and restart at counter 0
  uint64_t initial_seed() const;
  std::pair<uint64_t, uint64_t> state() const;  // (seed, offset)
  void set_state(uint64_t seed, uint64_t offset);
  // Reserves `count` counters for one op: returns (seed, first counter). Thread-safe.
  std::pair<uint64_t, uint64_t> reserve(uint64_t count);

 private:
  mutable std::mutex mutex_;
  const Device device_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator();
// `g` itself, or the default generator when g is null.
inline Generator& generator_or_default(Generator* g) { return g ? *g : default_generator(); }

}  // namespace ember
