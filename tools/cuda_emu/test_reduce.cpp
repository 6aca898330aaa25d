// Emulated checks of kernels/cuda/reduce.cu (through row_reduce.cuh) against naive references:
// every row shape of Note [Row reduction shapes] (thread, warp, block, split into chunks), the
// split column sums, two-pass var, and max/min with NaN, ties and signed zeros.
#include <array>
#include <limits>

#include "harness_common.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
using ember::DType;

namespace {


// (outer, inner) pairs covering each kernel of reduce_rows and their edges.
const std::vector<std::pair<int64_t, int64_t>> kRowShapes = {
    {1, 1},   {3, 7},    {300, 3},  {5, 31},   {4, 32},  {9, 33},    {17, 100},  {2, 2047},
    {1, 2048}, {2, 2049}, {7, 2050}, {1, 4097}, {2, 9001}, {3, 20000}, {1, 70001}, {0, 5}, {4, 0},
};

template <class T>
void check_sum_rows() {
  for (auto [outer, inner] : kRowShapes) {
    auto x = random_values<T>(outer * inner, outer * 1000 + inner);
    Vec<T> out(outer + 1, T(77));
    kc::sum_last_axis(ember::dtype_of<T>::value, out.data(), x.data(), outer, inner);
    for (int64_t i = 0; i < outer; ++i) {
      double want = 0, mag = 0;
      for (int64_t j = 0; j < inner; ++j) want += double(x[i * inner + j]), mag += std::abs(double(x[i * inner + j]));
      expect_close(double(out[i]), want, 0, tol_of<T>() * (1 + mag),
                   fmt("sum_last_axis outer=%lld inner=%lld row=%lld", outer, inner, i));
    }
    expect(out[outer] == T(77), fmt("sum_last_axis wrote past the end outer=%lld inner=%lld", outer, inner));
  }
}

template <class T>
void check_sum_columns() {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 5},   {7, 40},   {300, 33}, {5, 1},
                                                           {1000, 3}, {2000, 70}, {9, 1}, {600, 1025}, {0, 5}};
  for (auto [rows, cols] : shapes) {
    auto x = random_values<T>(rows * cols, rows * 31 + cols);
    Vec<T> out(cols + 1, T(77));
    kc::sum_first_axis(ember::dtype_of<T>::value, out.data(), x.data(), rows, cols);
    for (int64_t j = 0; j < cols; ++j) {
      double want = 0, mag = 0;
      for (int64_t i = 0; i < rows; ++i) want += double(x[i * cols + j]), mag += std::abs(double(x[i * cols + j]));
      expect_close(double(out[j]), want, 0, tol_of<T>() * (1 + mag),
                   fmt("sum_first_axis rows=%lld cols=%lld col=%lld", rows, cols, j));
    }
    expect(out[cols] == T(77), fmt("sum_first_axis wrote past the end rows=%lld cols=%lld", rows, cols));
  }
}

// Integer sums that overflow wrap as two's complement, as PyTorch's (Note [Wrapping integer
// arithmetic]): rows and columns of values near the type's limits against a wrapping uint64 sum.
template <class T>
void check_int_sums_wrap() {
  const T big = std::numeric_limits<T>::max() / 3 * 2, small = std::numeric_limits<T>::min();
  auto value = [&](int64_t i) { return i % 3 == 0 ? small : (i % 3 == 1 ? big : T(i % 7 - 3)); };
  for (auto [outer, inner] : kRowShapes) {
    Vec<T> x(static_cast<size_t>(outer * inner));
    for (int64_t i = 0; i < outer * inner; ++i) x[i] = value(i);
    Vec<T> out(outer + 1, T(77));
    kc::sum_last_axis(ember::dtype_of<T>::value, out.data(), x.data(), outer, inner);
    for (int64_t i = 0; i < outer; ++i) {
      uint64_t want = 0;
      for (int64_t j = 0; j < inner; ++j) want += static_cast<uint64_t>(x[i * inner + j]);
      expect(out[i] == static_cast<T>(want), fmt("wrapping sum_last_axis outer=%lld inner=%lld row=%lld", outer, inner, i));
    }
    const int64_t rows = outer, cols = inner;  // the same block as columns
    Vec<T> cout(cols + 1, T(77));
    kc::sum_first_axis(ember::dtype_of<T>::value, cout.data(), x.data(), rows, cols);
    for (int64_t j = 0; j < cols; ++j) {
      uint64_t want = 0;
      for (int64_t i = 0; i < rows; ++i) want += static_cast<uint64_t>(x[i * cols + j]);
      expect(cout[j] == static_cast<T>(want), fmt("wrapping sum_first_axis rows=%lld cols=%lld col=%lld", rows, cols, j));
    }
  }
}

template <class T>
void check_var() {
  for (auto [outer, inner] : kRowShapes) {
    for (double correction : {0.0, 1.0}) {
      auto x = random_values<T>(outer * inner, outer * 7 + inner);
      for (auto& v : x) v += T(100);  // a large mean: the two-pass form must not cancel
      Vec<T> out(outer + 1, T(77));
      kc::var_last_axis(ember::dtype_of<T>::value, out.data(), x.data(), outer, inner, correction);
      for (int64_t i = 0; i < outer; ++i) {
        double mean = 0;
        for (int64_t j = 0; j < inner; ++j) mean += double(x[i * inner + j]);
        mean /= double(inner);
        double ss = 0;
        for (int64_t j = 0; j < inner; ++j) ss += (double(x[i * inner + j]) - mean) * (double(x[i * inner + j]) - mean);
        const double dof = std::max(0.0, double(inner) - correction);
        expect_close(double(out[i]), ss / dof, std::is_same_v<T, float> ? 1e-5 : 1e-10, 0,
                     fmt("var outer=%lld inner=%lld row=%lld corr=%lld", outer, inner, i, (long long)correction));
      }
      expect(out[outer] == T(77), "var wrote past the end");
    }
  }
}

template <class T>
void check_minmax() {
  for (auto [outer, inner] : kRowShapes) {
    if (inner == 0) continue;  // the ops reject it before the kernel
    for (int pattern = 0; pattern < 4; ++pattern) {
      if (!std::is_floating_point_v<T> && pattern % 2 == 1) continue;  // patterns 1 and 3 add NaN and inf
      auto x = random_values<T>(outer * inner, outer * 13 + inner + pattern, 2.0);
      if constexpr (std::is_floating_point_v<T>) {
        for (int64_t i = 0; i < outer * inner; ++i) {
          x[i] = std::round(x[i]);  // many ties
          if (pattern == 1 && (i * 7919) % 97 == 5) x[i] = std::numeric_limits<T>::quiet_NaN();
          if (pattern == 2) x[i] = (i % 3 == 0) ? T(-0.0) : T(0.0);
          if (pattern == 3 && i % 5 == 1) x[i] = -std::numeric_limits<T>::infinity();
        }
      } else if (pattern >= 2) {
        for (auto& v : x) v = T(1);  // all equal: the first index
      }
      for (int mode = 0; mode < 4; ++mode) {
        const bool is_max = mode % 2 == 0, last = mode >= 2;  // last: the last of equal values (x.max())
        Vec<T> out(outer + 1, T(7));
        Vec<int64_t> idx(outer + 1, -7);
        kc::minmax_last_axis(ember::dtype_of<T>::value, is_max, last, out.data(), idx.data(), x.data(), outer, inner);
        for (int64_t i = 0; i < outer; ++i) {
          const T* row = x.data() + i * inner;
          int64_t best = 0;
          for (int64_t j = 1; j < inner; ++j) {
            const T b = row[best], v = row[j];
            bool bn = false, vn = false;
            if constexpr (std::is_floating_point_v<T>) bn = std::isnan(b), vn = std::isnan(v);
            if (bn && !(last && vn)) continue;
            if (vn || (is_max ? v > b : v < b) || (last && v == b)) best = j;
          }
          const std::string what = fmt("minmax is_max=%lld outer=%lld inner=%lld row=%lld", is_max, outer, inner, i) +
                                   fmt(" pattern=%lld last=%lld", pattern, last);
          expect(idx[i] == best, what + fmt(" index got %lld want %lld", idx[i], best));
          expect(std::memcmp(&out[i], &row[best], sizeof(T)) == 0 ||
                     (std::is_floating_point_v<T> && same_or_close(double(out[i]), double(row[best]), 0, 0)),
                 what + " value");
        }
        expect(idx[outer] == -7, "minmax wrote past the end");
      }
    }
  }
}

template <class T>
void check_softmax() {
  // (outer, dim, inner): warp rows, block rows, and columns (inner > 1).
  const std::vector<std::array<int64_t, 3>> shapes = {
      {1, 1, 1}, {3, 5, 1}, {10, 31, 1}, {9, 32, 1}, {17, 33, 1}, {4, 300, 1}, {2, 2047, 1}, {3, 2048, 1},
      {2, 5000, 1}, {2, 3, 4}, {3, 40, 7}, {1, 2, 300}, {5, 3, 200}, {5, 2100, 1}, {1, 1, 9}};
  for (auto [outer, dim, inner] : shapes) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      const int64_t n = outer * dim * inner;
      auto x = random_values<T>(n, n + pattern, 8.0);
      const T inf = std::numeric_limits<T>::infinity();
      // pattern 1: some -inf; 2: a whole row of -inf in slice 0, a +inf in the last; 3: a NaN.
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i)
          for (int64_t d = 0; d < dim; ++d) {
            T& v = x[(o * dim + d) * inner + i];
            if (pattern == 1 && d % 3 == 1) v = -inf;
            if (pattern == 2 && o == 0 && i == 0) v = -inf;
            if (pattern == 2 && o == outer - 1 && i == inner - 1 && d == dim / 2 && outer * inner > 1) v = inf;
            if (pattern == 3 && (o + i + d) % 11 == 4) v = std::numeric_limits<T>::quiet_NaN();
          }
      for (bool log : {false, true}) {
        Vec<T> out(n + 1, T(77));
        kc::softmax(ember::dtype_of<T>::value, log, out.data(), x.data(), outer, dim, inner);
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            double m = -INFINITY;
            bool nan = false;
            for (int64_t d = 0; d < dim; ++d) {
              const double v = x[(o * dim + d) * inner + i];
              nan |= std::isnan(v);
              m = std::max(m, v);
            }
            if (nan) m = NAN;
            double s = 0;
            for (int64_t d = 0; d < dim; ++d) s += std::exp(double(x[(o * dim + d) * inner + i]) - m);
            for (int64_t d = 0; d < dim; ++d) {
              const int64_t k = (o * dim + d) * inner + i;
              const double want = log ? (double(x[k]) - m) - std::log(s) : std::exp(double(x[k]) - m) / s;
              expect_close(double(out[k]), want, std::is_same_v<T, float> ? 2e-5 : 1e-12,
                           std::is_same_v<T, float> ? 1e-6 : 1e-14,
                           fmt("softmax log=%lld shape=(%lld,%lld,%lld)", log, outer, dim, inner) +
                               fmt(" pattern=%lld at o=%lld i=%lld d=%lld", pattern, o, i, d));
            }
          }
        expect(out[n] == T(77), "softmax wrote past the end");
      }
    }
  }
}

}  // namespace

void test_reduce() {
  check_sum_rows<float>();
  check_sum_rows<double>();
  check_sum_rows<int64_t>();
  check_sum_rows<int32_t>();
  check_sum_columns<float>();
  check_sum_columns<double>();
  check_sum_columns<int64_t>();
  check_sum_columns<int32_t>();
  check_int_sums_wrap<int64_t>();
  check_int_sums_wrap<int32_t>();
  check_var<float>();
  check_var<double>();
  check_minmax<float>();
  check_minmax<double>();
  check_minmax<int64_t>();
  check_minmax<int32_t>();
  check_minmax<bool>();
}

void test_softmax() {
  check_softmax<float>();
  check_softmax<double>();
}
