// Emulated checks of kernels/cuda/sort.cu and kernels/cuda/multinomial.cu against their CPU
// twins: row sorts of every dtype (odd sizes, powers of two and one past, ties, NaN, +-0,
// ascending and descending, more rows than the capped grid) must give the same values and the
// same (stable) indices, and topk / kthvalue / median picks those of the CPU twin's partial sorts; searchsorted with repeats, NaN and both sides, shared and per-row
// sequences; multinomial draws and race keys from the same counters.
#include <limits>

#include "harness_common.h"
#include "kernels/multinomial.h"
#include "kernels/sort.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
namespace kcpu = ember::kernels::cpu;
using ember::DType;

namespace {

template <class T>
bool same_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a || b != b) return a != a && b != b;
    return std::memcmp(&a, &b, sizeof(T)) == 0;  // +0 and -0 must come back where they were
  }
  return a == b;
}

template <class T>
void check_sort() {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {3, 2},    {2, 7},  {4, 31}, {2, 32}, {3, 33},
                                                           {2, 100}, {1, 1000}, {2, 1025}, {1, 3000}, {300, 5}, {0, 4}, {3, 0}};
  for (auto [rows, n] : shapes) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      auto x = random_values<T>(rows * n, rows * 1000 + n + pattern);
      if constexpr (std::is_floating_point_v<T>) {
        for (int64_t i = 0; i < rows * n; ++i) {
          if (pattern >= 1) x[i] = std::round(x[i]);  // ties
          if (pattern == 2 && i % 7 == 3) x[i] = std::numeric_limits<T>::quiet_NaN();
          if (pattern == 3) x[i] = (i % 3 == 0) ? T(-0.0) : (i % 3 == 1 ? T(0.0) : x[i]);
        }
      } else if (pattern >= 2) {
        for (int64_t i = 0; i < rows * n; ++i) x[i] = static_cast<T>(i % 3 == 0);
      }
      for (bool descending : {false, true}) {
        Vec<T> got(rows * n + 1, T(7)), want(rows * n + 1, T(7));
        Vec<int64_t> gi(rows * n + 1, -7), wi(rows * n + 1, -7);
        kc::sort_rows(ember::dtype_of<T>::value, descending, got.data(), gi.data(), x.data(), rows, n);
        kcpu::sort_rows(ember::dtype_of<T>::value, descending, want.data(), wi.data(), x.data(), rows, n);
        int bad = 0;
        for (int64_t i = 0; i < rows * n && bad < 3; ++i) {
          const bool ok = gi[i] == wi[i] && same_value(got[i], want[i]);
          expect(ok, fmt("sort rows=%lld n=%lld desc=%lld at %lld", rows, n, descending, i) +
                         fmt(" pattern=%lld index got %lld want %lld", pattern, gi[i], wi[i]));
          bad += !ok;
        }
        expect(gi[rows * n] == -7, "sort wrote past the end");
        if (pattern % 2 == 0 && !std::is_same_v<T, bool>) {  // patterns 0 and 2 (NaN), for time
          // topk (the first k of the same order) and the kth / median picks, vs the partial sorts.
          for (int64_t k : {int64_t(1), (n + 1) / 2}) {
            if (n == 0) break;
            Vec<T> tg(rows * k + 1, T(7)), tw(rows * k + 1, T(7));
            Vec<int64_t> tgi(rows * k + 1, -7), twi(rows * k + 1, -7);
            kc::topk_rows(ember::dtype_of<T>::value, descending, k, tg.data(), tgi.data(), x.data(), rows, n);
            kcpu::topk_rows(ember::dtype_of<T>::value, descending, k, tw.data(), twi.data(), x.data(), rows, n);
            for (int64_t i = 0; i < rows * k; ++i)
              expect(tgi[i] == twi[i] && same_value(tg[i], tw[i]),
                     fmt("topk rows=%lld n=%lld k=%lld at %lld", rows, n, k, i) + fmt(" pattern=%lld", pattern));
            expect(tgi[rows * k] == -7, "topk wrote past the end");
            const bool median = descending;  // both picks, once each
            Vec<T> kg(rows + 1, T(7)), kw(rows + 1, T(7));
            Vec<int64_t> kgi(rows + 1, -7), kwi(rows + 1, -7);
            kc::kth_rows(ember::dtype_of<T>::value, k - 1, median, kg.data(), kgi.data(), x.data(), rows, n);
            kcpu::kth_rows(ember::dtype_of<T>::value, k - 1, median, kw.data(), kwi.data(), x.data(), rows, n);
            for (int64_t r = 0; r < rows; ++r)
              expect(kgi[r] == kwi[r] && same_value(kg[r], kw[r]),
                     fmt("kth rows=%lld n=%lld k=%lld median=%lld", rows, n, k, median) + fmt(" row %lld", r));
            expect(kgi[rows] == -7, "kth_rows wrote past the end");
          }
        }
      }
    }
  }
}

template <class T>
void check_search() {
  for (int64_t seq_len : {1, 2, 7, 64, 1000}) {
    for (bool shared : {true, false}) {
      const int64_t rows = shared ? 1 : 5, per_row = shared ? 333 : 67;
      auto seq = random_values<T>(rows * seq_len, seq_len * 3 + shared);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < seq_len; ++i) seq[r * seq_len + i] = static_cast<T>(std::round(double(seq[r * seq_len + i])));
        std::sort(seq.data() + r * seq_len, seq.data() + (r + 1) * seq_len);
      }
      auto vals = random_values<T>(rows * per_row, seq_len + 11);
      if constexpr (std::is_floating_point_v<T>) {
        for (int64_t i = 0; i < rows * per_row; ++i) {
          if (i % 5 == 0) vals[i] = std::round(vals[i]);  // hits the repeats
          if (i % 17 == 3) vals[i] = std::numeric_limits<T>::quiet_NaN();
        }
        if (seq_len > 2) seq[seq_len - 1] = std::numeric_limits<T>::quiet_NaN();
      }
      for (bool right : {false, true}) {
        Vec<int64_t> got(rows * per_row + 1, -7), want(rows * per_row + 1, -7);
        const int64_t stride = shared ? 0 : seq_len;
        kc::search_sorted(ember::dtype_of<T>::value, right, got.data(), seq.data(), vals.data(), rows, per_row,
                          seq_len, stride);
        kcpu::search_sorted(ember::dtype_of<T>::value, right, want.data(), seq.data(), vals.data(), rows, per_row,
                            seq_len, stride);
        for (int64_t i = 0; i < rows * per_row; ++i)
          expect(got[i] == want[i], fmt("searchsorted len=%lld shared=%lld right=%lld i=%lld", seq_len, shared, right, i));
        expect(got[rows * per_row] == -7, "searchsorted wrote past the end");
      }
    }
  }
}

void check_multinomial() {
  for (auto [rows, cats, samples] : std::vector<std::array<int64_t, 3>>{{1, 1, 5}, {3, 7, 100}, {40, 3, 9}, {2, 1000, 777}}) {
    Vec<double> cdf(rows * cats);
    Vec<double> probs(rows * cats);
    for (int64_t r = 0; r < rows; ++r) {
      double run = 0;
      for (int64_t c = 0; c < cats; ++c) {
        const double p = (c % 4 == 1 && cats > 1) ? 0.0 : 0.5 + double((c * 7 + r) % 5);
        probs[r * cats + c] = p;
        run += p;
        cdf[r * cats + c] = run;
      }
    }
    Vec<int64_t> got(rows * samples + 1, -7), want(rows * samples + 1, -7);
    kc::multinomial_with_replacement(got.data(), cdf.data(), rows, cats, samples, 42, 1000);
    kcpu::multinomial_with_replacement(want.data(), cdf.data(), rows, cats, samples, 42, 1000);
    for (int64_t i = 0; i < rows * samples; ++i) {
      expect(got[i] == want[i], fmt("multinomial draw rows=%lld cats=%lld i=%lld", rows, cats, i));
      expect(probs[(i / samples) * cats + got[i]] > 0, "multinomial drew a zero-probability category");
    }
    expect(got[rows * samples] == -7, "multinomial wrote past the end");
    Vec<double> gk(rows * cats + 1, -7), wk(rows * cats + 1, -7);
    kc::multinomial_race_keys(DType::Float64, gk.data(), probs.data(), rows * cats, 9, 5);
    kcpu::multinomial_race_keys(DType::Float64, wk.data(), probs.data(), rows * cats, 9, 5);
    for (int64_t i = 0; i < rows * cats; ++i)
      expect_close(gk[i], wk[i], 1e-15, 0, fmt("race key rows=%lld cats=%lld i=%lld", rows, cats, i));
    expect(gk[rows * cats] == -7, "race keys wrote past the end");
  }
}

}  // namespace

void test_sort() {
  check_sort<float>();
  check_sort<double>();
  check_sort<int64_t>();
  check_sort<int32_t>();
  check_sort<bool>();
  check_search<float>();
  check_search<double>();
  check_search<int64_t>();
  check_search<int32_t>();
  check_multinomial();
}
