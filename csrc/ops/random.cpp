// rand, randn, randint, randperm and the in-place initialisers, over the counter-based
// generator of Note [Counter-based generator].
#include <mutex>

#include "kernels/dispatch.h"
#include "kernels/random.h"
#include "kernels/random_functors.h"
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

// Writes spec(seed, counter_of_element) into every element of t (any layout, any device).
void fill_random(const Tensor& t, const kernels::RandomSpec& spec) {
  Tensor dst = t.is_contiguous() ? t : empty(t.sizes(), t.dtype(), t.device());
  auto [seed, first] = reserve(static_cast<uint64_t>(t.numel()) * spec.counters_per_element());
  EMBER_DISPATCH_KERNEL(dst.device(), random_fill, dst.dtype(), dst.raw_data(), dst.numel(), seed, first, spec);
  if (!dst.is_same(t)) copy_into(t, dst);
}

void check_floating(const char* op, DType dtype) {
  EMBER_CHECK(is_floating(dtype), Type, "[", op, "] expected a floating dtype, got ", dtype_name(dtype));
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
  check_floating("uniform_", t.dtype());
  fill_random(t, {kernels::RandomKind::Uniform, low, high});
  t->bump_version();
}

void normal_(const Tensor& t, double mean, double std) {
  EMBER_CHECK(std >= 0, Runtime, "[normal_] expects std >= 0.0, but found std ", std);
  check_floating("normal_", t.dtype());
  fill_random(t, {kernels::RandomKind::Normal, mean, std});
  t->bump_version();
}

Tensor rand(const Shape& sizes, DType dtype, Device device) {
  check_floating("rand", dtype);
  Tensor t = empty(sizes, dtype, device);
  fill_random(t, {kernels::RandomKind::Rand});
  return t;
}

Tensor randn(const Shape& sizes, DType dtype, Device device) {
  check_floating("randn", dtype);
  Tensor t = empty(sizes, dtype, device);
  fill_random(t, {kernels::RandomKind::Randn});
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, DType dtype, Device device) {
  EMBER_CHECK(low < high, Runtime, "[randint] random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  EMBER_CHECK(dtype != DType::Bool, Type, "[randint] not supported for dtype ", dtype_name(dtype));
  Tensor t = empty(sizes, dtype, device);
  fill_random(t, {kernels::RandomKind::Randint, 0, 0, low, static_cast<uint64_t>(high - low)});
  return t;
}

Tensor randperm(int64_t n, Device device) {
  EMBER_CHECK(n >= 0, Runtime, "[randperm] n must be non-negative, got ", n);
  auto [seed, first] = reserve(static_cast<uint64_t>(n));
  return randperm_from(n, seed, first, device);
}

Tensor randperm_from(int64_t n, uint64_t seed, uint64_t first, Device device) {
  EMBER_CHECK(n >= 0, Runtime, "[randperm] n must be non-negative, got ", n);
  if (!device.is_cpu()) {  // built on the host and copied: Note [Host-built factories on CUDA] (ops/factory.cpp)
    cuda::check_device("randperm", device);
    return to_device(randperm_from(n, seed, first, cpu_device()), device);
  }
  Tensor t = arange(0, static_cast<double>(n), 1, DType::Int64, device);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    int64_t j = static_cast<int64_t>(kernels::random_bits(seed, first + static_cast<uint64_t>(i)) % (i + 1));
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace ember
