// What the emulator's harnesses share: deterministic inputs, a comparison that counts
// mismatches (NaN matches NaN, an infinity only itself), and the report's reset.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "core/cuda/kernel_error.h"

namespace emu_test {

inline int g_failures = 0;
inline int g_checks = 0;

inline bool same_or_close(double got, double want, double rtol, double atol) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::abs(got - want) <= atol + rtol * std::abs(want);
}

inline void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok && g_failures++ < 30) std::printf("MISMATCH %s\n", what.c_str());
}

inline void expect_close(double got, double want, double rtol, double atol, const std::string& what) {
  ++g_checks;
  if (!same_or_close(got, want, rtol, atol) && g_failures++ < 30)
    std::printf("MISMATCH %s: got %.10g want %.10g\n", what.c_str(), got, want);
}

template <class T>
double tol_of() { return std::is_same_v<T, float> ? 2e-5 : 1e-11; }

// A plain array (std::vector<bool> has no data()).
template <class T>
struct Vec {
  std::vector<T> v_;  // never bool: see Vec<bool>
  Vec() = default;
  explicit Vec(size_t n, T fill = T()) : v_(n, fill) {}
  T* data() { return v_.data(); }
  const T* data() const { return v_.data(); }
  T& operator[](size_t i) { return v_[i]; }
  const T& operator[](size_t i) const { return v_[i]; }
  size_t size() const { return v_.size(); }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
};
template <>
struct Vec<bool> {
  std::unique_ptr<bool[]> p_;
  size_t n_ = 0;
  Vec() = default;
  explicit Vec(size_t n, bool fill = false) : p_(new bool[n ? n : 1]), n_(n) { std::fill(p_.get(), p_.get() + n, fill); }
  bool* data() { return p_.get(); }
  const bool* data() const { return p_.get(); }
  bool& operator[](size_t i) { return p_[i]; }
  const bool& operator[](size_t i) const { return p_[i]; }
  size_t size() const { return n_; }
  bool* begin() { return data(); }
  bool* end() { return data() + n_; }
};

// Values in [-range, range]: integers for int64 (exact sums), else uniform.
template <class T>
Vec<T> random_values(int64_t n, uint64_t seed, double range = 3.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-range, range);
  Vec<T> v(static_cast<size_t>(n));
  for (auto& x : v) {
    if constexpr (std::is_same_v<T, bool>) x = d(rng) > 0;
    else if constexpr (std::is_integral_v<T>) x = static_cast<T>(std::llround(d(rng) * 10));
    else x = static_cast<T>(d(rng));
  }
  return v;
}

inline void reset_report() {
  auto* r = ember::cuda::kernel_error_report(0);
  std::memset(r, 0, sizeof(*r));
}

inline std::string fmt(const char* f, long long a = 0, long long b = 0, long long c = 0, long long d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

}  // namespace emu_test
