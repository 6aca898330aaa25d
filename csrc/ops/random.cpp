// rand, randn, randint, randperm and the in-place initialisers, over the counter-based
// generator of Note [Counter-based generator]; each draws from a Generator (core/generator.h).
#include "kernels/dispatch.h"
#include "kernels/random.h"
#include "kernels/random_functors.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

namespace {

// The generator an op on `device` draws from: `gen`, which must be for that kind of device (as in
// PyTorch, though ember's stream is the same on every device), or the default generator.
Generator& generator_for(const char* op, Generator* gen, Device device) {
  EMBER_CHECK(!gen || gen->device().type == device.type, Runtime, "[", op, "] Expected a '",
              device.is_cpu() ? "cpu" : "cuda", "' device type for generator but found '",
              gen->device().is_cpu() ? "cpu" : "cuda", "'");
  return generator_or_default(gen);
}

// Writes spec(seed, counter_of_element) into every element of t (any layout, any device).
void fill_random(const char* op, const Tensor& t, const kernels::RandomSpec& spec, Generator* gen) {
  Tensor dst = t.is_contiguous() ? t : empty(t.sizes(), t.dtype(), t.device());
  const uint64_t counters = static_cast<uint64_t>(t.numel()) * spec.counters_per_element();
  auto [seed, first] = generator_for(op, gen, t.device()).reserve(counters);
  EMBER_DISPATCH_KERNEL(dst.device(), random_fill, dst.dtype(), dst.raw_data(), dst.numel(), seed, first, spec);
  if (!dst.is_same(t)) copy_into(t, dst);
}

// The Fisher-Yates shuffle drawn from counters first..first+n-1 of `seed`.
Tensor randperm_from(int64_t n, uint64_t seed, uint64_t first, Device device) {
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

void check_floating(const char* op, DType dtype) {
  EMBER_CHECK(is_floating(dtype), Type, "[", op, "] expected a floating dtype, got ", dtype_name(dtype));
}

}  // namespace

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }
uint64_t initial_seed() { return default_generator().initial_seed(); }
std::pair<uint64_t, uint64_t> get_rng_state() { return default_generator().state(); }
void set_rng_state(uint64_t seed, uint64_t offset) { default_generator().set_state(seed, offset); }

void uniform_(const Tensor& t, double low, double high, Generator* gen) {
  check_floating("uniform_", t.dtype());
  fill_random("uniform_", t, {kernels::RandomKind::Uniform, low, high}, gen);
  t->bump_version();
}

void normal_(const Tensor& t, double mean, double std, Generator* gen) {
  EMBER_CHECK(std >= 0, Runtime, "[normal_] expects std >= 0.0, but found std ", std);
  check_floating("normal_", t.dtype());
  fill_random("normal_", t, {kernels::RandomKind::Normal, mean, std}, gen);
  t->bump_version();
}

Tensor rand(const Shape& sizes, DType dtype, Device device, Generator* gen) {
  check_floating("rand", dtype);
  Tensor t = empty(sizes, dtype, device, "rand");
  fill_random("rand", t, {kernels::RandomKind::Rand}, gen);
  return t;
}

Tensor randn(const Shape& sizes, DType dtype, Device device, Generator* gen) {
  check_floating("randn", dtype);
  Tensor t = empty(sizes, dtype, device, "randn");
  fill_random("randn", t, {kernels::RandomKind::Randn}, gen);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(low < high, Runtime, "[randint] random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  EMBER_CHECK(dtype != DType::Bool, Type, "[randint] not supported for dtype ", dtype_name(dtype));
  Tensor t = empty(sizes, dtype, device, "randint");
  // high - low can exceed INT64_MAX (randint(-2**63, 2**63 - 1)); as uint64 it is exact (low < high).
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  fill_random("randint", t, {kernels::RandomKind::Randint, 0, 0, low, range}, gen);
  return t;
}

Tensor randperm(int64_t n, Device device, Generator* gen) {
  EMBER_CHECK(n >= 0, Runtime, "[randperm] n must be non-negative, got ", n);
  auto [seed, first] = generator_for("randperm", gen, device).reserve(static_cast<uint64_t>(n));
  return randperm_from(n, seed, first, device);
}

}  // namespace ember
