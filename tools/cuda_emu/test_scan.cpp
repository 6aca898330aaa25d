// Emulated checks of kernels/cuda/scan.cu against its CPU twin (kernels/cpu/scan.cpp): every
// path of Note [Scan shapes] (columns, short rows, block tiles with a carry across tiles, rows
// past the capped grid), forward and reversed, cumsum / cumprod / logcumsumexp with NaN, +-inf
// and zeros; and prod_last_axis (kernels/cuda/reduce.cu) against a naive product.
#include <limits>

#include "harness_common.h"
#include "kernels/reduce.h"
#include "kernels/scan.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
namespace kcpu = ember::kernels::cpu;
using ember::DType;
using ember::kernels::ScanKind;

namespace {

struct Shape3 { int64_t outer, len, inner; };
const std::vector<Shape3> kShapes = {
    {1, 1, 1},   {3, 7, 1},    {2, 63, 1},  {2, 64, 1},   {3, 255, 1}, {2, 256, 1}, {2, 257, 1}, {1, 1000, 1},
    {3, 513, 1}, {5, 3, 7},    {2, 100, 3}, {3, 70, 33},  {0, 5, 1},   {4, 0, 1},   {20, 70, 1}, {300, 5, 1},
};

template <class T>
void check_scan() {
  const std::vector<ScanKind> kinds = std::is_floating_point_v<T>
      ? std::vector<ScanKind>{ScanKind::Sum, ScanKind::Prod, ScanKind::LogSumExp}
      : std::vector<ScanKind>{ScanKind::Sum, ScanKind::Prod};
  for (auto [outer, len, inner] : kShapes) {
    const int64_t n = outer * len * inner;
    for (ScanKind kind : kinds) {
      for (int pattern = 0; pattern < 2; ++pattern) {
        auto x = random_values<T>(n, n * 7 + static_cast<int>(kind) * 3 + pattern);
        for (int64_t i = 0; i < n; ++i) {
          if (kind == ScanKind::Prod) {
            if constexpr (std::is_floating_point_v<T>) x[i] = T(1) + x[i] / T(100);  // no overflow in 1000 terms
            else x[i] = (i % 5 == 0) ? T(-1) : T(1 + (i % 3 == 0));
            if (i % 97 == 13) x[i] = T(0);
          }
          if constexpr (std::is_floating_point_v<T>) {
            if (pattern == 1 && i % 89 == 7) x[i] = std::numeric_limits<T>::quiet_NaN();
            if (pattern == 1 && i % 89 == 40) x[i] = -std::numeric_limits<T>::infinity();
            if (pattern == 1 && kind != ScanKind::Prod && i % 151 == 77) x[i] = std::numeric_limits<T>::infinity();
          }
        }
        for (bool reverse : {false, true}) {
          Vec<T> got(n + 1, T(77)), want(n + 1, T(77));
          kc::scan(ember::dtype_of<T>::value, kind, reverse, got.data(), x.data(), outer, len, inner);
          kcpu::scan(ember::dtype_of<T>::value, kind, reverse, want.data(), x.data(), outer, len, inner);
          int bad = 0;
          for (int64_t i = 0; i < n && bad < 3; ++i) {
            const double tol = std::is_same_v<T, float> ? 1e-5 : (std::is_same_v<T, double> ? 1e-11 : 0.0);
            const std::string what = fmt("scan kind=%lld reverse=%lld outer=%lld len=%lld", static_cast<int>(kind),
                                         reverse, outer, len) + fmt(" inner=%lld i=%lld pattern=%lld", inner, i, pattern);
            const int before = g_failures;
            expect_close(double(got[i]), double(want[i]), tol, tol * 10, what);
            bad += g_failures != before;
          }
          expect(got[n] == T(77), "scan wrote past the end");
        }
      }
    }
  }
}

template <class T>
void check_prod() {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {3, 7}, {300, 3}, {5, 31}, {4, 32}, {9, 33},
                                                           {2, 2047}, {2, 2049}, {1, 9001}, {0, 5}, {4, 0}};
  for (auto [outer, inner] : shapes) {
    auto x = random_values<T>(outer * inner, outer * 100 + inner);
    for (int64_t i = 0; i < outer * inner; ++i) {
      if constexpr (std::is_floating_point_v<T>) x[i] = T(1) + x[i] / T(1000);
      else x[i] = (i % 7 == 0) ? T(-3) : T(1 + (i % 11 == 0));  // wraps for long rows
      if (i % 4001 == 17) x[i] = T(0);
    }
    Vec<T> out(outer + 1, T(77));
    kc::prod_last_axis(ember::dtype_of<T>::value, out.data(), x.data(), outer, inner);
    for (int64_t r = 0; r < outer; ++r) {
      if constexpr (std::is_floating_point_v<T>) {
        double p = 1;
        for (int64_t j = 0; j < inner; ++j) p *= double(x[r * inner + j]);
        expect_close(double(out[r]), p, std::is_same_v<T, float> ? 1e-6 : 1e-12, 0,
                     fmt("prod outer=%lld inner=%lld row=%lld", outer, inner, r));
      } else {
        uint64_t p = 1;
        for (int64_t j = 0; j < inner; ++j) p *= static_cast<uint64_t>(x[r * inner + j]);
        expect(out[r] == static_cast<T>(p), fmt("prod int64 outer=%lld inner=%lld row=%lld", outer, inner, r));
      }
    }
    expect(out[outer] == T(77), "prod wrote past the end");
  }
}

}  // namespace

void test_scan() {
  check_scan<float>();
  check_scan<double>();
  check_scan<int64_t>();
  check_scan<int32_t>();
  check_prod<float>();
  check_prod<double>();
  check_prod<int64_t>();
  check_prod<int32_t>();
}
