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

// A plain array (std::vector<bool> has no data()) between two guard zones of kGuard bytes of a
// known pattern: a kernel that writes out of bounds (near them) is reported when the array dies.
constexpr size_t kGuard = 256;
constexpr unsigned char kGuardByte = 0xa5;

template <class T>
class Vec {
 public:
  Vec() : Vec(0) {}
  explicit Vec(size_t n, T fill = T()) : n_(n), bytes_(2 * kGuard + n * sizeof(T) + alignof(T), kGuardByte) {
    for (size_t i = 0; i < n; ++i) data()[i] = fill;
  }
  Vec(const Vec& o) : n_(o.n_), bytes_(o.bytes_) {}
  Vec& operator=(const Vec& o) {
    check();
    n_ = o.n_;
    bytes_ = o.bytes_;
    return *this;
  }
  ~Vec() { check(); }
  T* data() { return reinterpret_cast<T*>(bytes_.data() + kGuard); }
  const T* data() const { return reinterpret_cast<const T*>(bytes_.data() + kGuard); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  size_t size() const { return n_; }
  T* begin() { return data(); }
  T* end() { return data() + n_; }

 private:
  void check() const {
    const size_t hi = kGuard + n_ * sizeof(T);
    bool ok = true;
    for (size_t i = 0; i < kGuard; ++i) ok &= bytes_[i] == kGuardByte && bytes_[hi + i] == kGuardByte;
    expect(ok, "a kernel wrote outside a buffer (guard bytes changed)");
  }
  size_t n_;
  std::vector<unsigned char> bytes_;
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
