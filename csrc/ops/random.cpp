// rand, randn, randint, randperm and the in-place initialisers, over the counter-based
// generator of Note [Counter-based generator].
#include <mutex>

#include "kernels/random_bits.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

namespace {

struct Generator {
  uint64_t seed = 67280421310721ull;
  uint64_t offset = 0;
  std::mutex mutex;
};

Generator& default_generator() {
  static Generator g;
  return g;
}

// Reserves `count` counters and returns (seed, first counter).
std::pair<uint64_t, uint64_t> reserve(uint64_t count) {
  Generator& g = default_generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  uint64_t first = g.offset;
  g.offset += count;
  return {g.seed, first};
}

// Writes f(seed, counter_of_element) into every element of t (any layout).
template <typename T, typename F>
void fill_random(const Tensor& t, uint64_t counters_per_element, F f) {
  Tensor dst = t.is_contiguous() ? t : empty(t.sizes(), t.dtype(), t.device());
  auto [seed, first] = reserve(static_cast<uint64_t>(t.numel()) * counters_per_element);
  T* p = dst.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = f(seed, first + counters_per_element * static_cast<uint64_t>(i));
  if (!dst.is_same(t)) copy_into(t, dst);
}

}  // namespace

void manual_seed(uint64_t seed) {
  Generator& g = default_generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = seed;
  g.offset = 0;
}

uint64_t initial_seed() { return default_generator().seed; }

// Note [RNG state is (seed, offset)]: the generator is counter-based, so its whole state is the
// seed and the next unused counter; restoring both replays the same random numbers (checkpoint).
std::pair<uint64_t, uint64_t> get_rng_state() {
  Generator& g = default_generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  return {g.seed, g.offset};
}

void set_rng_state(uint64_t seed, uint64_t offset) {
  Generator& g = default_generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = seed;
  g.offset = offset;
}

void uniform_(const Tensor& t, double low, double high) {
  EMBER_DISPATCH_FLOATING(t.dtype(), "uniform_", [&] {
    fill_random<scalar_t>(t, 1, [&](uint64_t s, uint64_t c) {
      return static_cast<scalar_t>(low + (high - low) * kernels::uniform01<double>(s, c));
    });
  });
  t->bump_version();
}

void normal_(const Tensor& t, double mean, double std) {
  EMBER_CHECK(std >= 0, Runtime, "[normal_] expects std >= 0.0, but found std ", std);
  EMBER_DISPATCH_FLOATING(t.dtype(), "normal_", [&] {
    fill_random<scalar_t>(t, 2, [&](uint64_t s, uint64_t c) {
      return static_cast<scalar_t>(mean + std * kernels::standard_normal<double>(s, c));
    });
  });
  t->bump_version();
}

Tensor rand(const Shape& sizes, DType dtype, Device device) {
  Tensor t = empty(sizes, dtype, device);
  EMBER_DISPATCH_FLOATING(dtype, "rand", [&] {
    fill_random<scalar_t>(t, 1, [](uint64_t s, uint64_t c) { return kernels::uniform01<scalar_t>(s, c); });
  });
  return t;
}

Tensor randn(const Shape& sizes, DType dtype, Device device) {
  Tensor t = empty(sizes, dtype, device);
  EMBER_DISPATCH_FLOATING(dtype, "randn", [&] {
    fill_random<scalar_t>(t, 2, [](uint64_t s, uint64_t c) { return kernels::standard_normal<scalar_t>(s, c); });
  });
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, DType dtype, Device device) {
  EMBER_CHECK(low < high, Runtime, "[randint] random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  Tensor t = empty(sizes, dtype, device);
  uint64_t range = static_cast<uint64_t>(high - low);
  EMBER_DISPATCH_NUMERIC(dtype, "randint", [&] {
    fill_random<scalar_t>(t, 1, [&](uint64_t s, uint64_t c) {
      return static_cast<scalar_t>(low + static_cast<int64_t>(kernels::random_bits(s, c) % range));
    });
  });
  return t;
}

Tensor randperm(int64_t n, Device device) {
  EMBER_CHECK(n >= 0, Runtime, "[randperm] n must be non-negative, got ", n);
  auto [seed, first] = reserve(static_cast<uint64_t>(n));
  return randperm_from(n, seed, first, device);
}

Tensor randperm_from(int64_t n, uint64_t seed, uint64_t first, Device device) {
  EMBER_CHECK(n >= 0, Runtime, "[randperm] n must be non-negative, got ", n);
  Tensor t = arange(0, static_cast<double>(n), 1, DType::Int64, device);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    int64_t j = static_cast<int64_t>(kernels::random_bits(seed, first + static_cast<uint64_t>(i)) % (i + 1));
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace ember
