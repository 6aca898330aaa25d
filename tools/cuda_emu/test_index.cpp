// Emulated checks of kernels/cuda/index.cu against naive references: gather/scatter_add and
// scatter_reduce (every op) along a dim of a strided tensor, index_select/index_add, put_rows,
// combine_indices (negative and bad indices) and nonzero over several chunks. A bad index must be reported (the report's value is
// one of the bad indices, its bound the dim size) and its element neither read nor written.
#include <array>
#include <set>

#include "harness_common.h"
#include "kernels/index.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
using ember::DType;

namespace {


// Indices in [0, size), with every 37th one out of range (when `bad`): size, larger, negative.
Vec<int64_t> indices(int64_t n, int64_t size, uint64_t seed, bool bad, std::set<int64_t>* bad_values) {
  std::mt19937_64 rng(seed);
  Vec<int64_t> v(n);
  for (int64_t k = 0; k < n; ++k) {
    v[k] = static_cast<int64_t>(rng() % size);
    if (bad && k % 37 == 11) {
      v[k] = (k % 3 == 0) ? size : (k % 3 == 1) ? size + k : -1 - k;  // the bound itself, above, below
      bad_values->insert(v[k]);
    }
  }
  return v;
}

void check_report(const std::set<int64_t>& bad, int64_t bound, const std::string& what) {
  auto* rep = ember::cuda::kernel_error_report(0);
  if (bad.empty()) {
    expect(rep->flagged == 0, what + " report flagged without a bad index");
  } else {
    expect(rep->flagged == 1 && bad.count(rep->value) == 1 && rep->bound == bound && rep->op != nullptr,
           what + fmt(" report flagged=%lld value=%lld bound=%lld", rep->flagged, rep->value, rep->bound));
  }
  reset_report();
}

template <class T>
void check_gather_scatter() {
  // Index [rows, cols] along dim 1 of a [rows, src_cols] tensor whose rows are padded (stride).
  for (auto [rows, cols, src_cols] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 5, 7}, {5, 300, 40}, {70, 9, 3}}) {
    for (bool bad : {false, true}) {
      const int64_t pitch = src_cols + 2;
      std::set<int64_t> bad_values;
      auto index = indices(rows * cols, src_cols, rows + cols, bad, &bad_values);
      auto src = random_values<T>(rows * pitch, 5);
      const int64_t sizes[2] = {rows, cols}, strides[2] = {pitch, 1};
      ember::kernels::DimIndexLoop loop{2, 1, sizes, strides, src_cols};
      const std::string what = fmt("gather rows=%lld cols=%lld src_cols=%lld bad=%lld", rows, cols, src_cols, bad);
      reset_report();
      Vec<T> out(rows * cols, T(1));
      kc::gather(ember::dtype_of<T>::value, out.data(), src.data(), index.data(), loop);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          const int64_t j = index[r * cols + c];
          const T want = (j < 0 || j >= src_cols) ? T(1) : src[r * pitch + j];
          expect(out[r * cols + c] == want, what + fmt(" at %lld,%lld", r, c));
        }
      check_report(bad_values, src_cols, what);

      // scatter_add: duplicates accumulate; bad indices add nothing.
      auto vals = random_values<T>(rows * cols, 9);
      Vec<T> self(rows * pitch + 1, T(0));
      Vec<double> want(rows * pitch + 1, 0.0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          const int64_t j = index[r * cols + c];
          if (j >= 0 && j < src_cols) {
            if constexpr (std::is_same_v<T, bool>) want[r * pitch + j] = want[r * pitch + j] || vals[r * cols + c];
            else want[r * pitch + j] += double(vals[r * cols + c]);
          }
        }
      kc::scatter_add(ember::dtype_of<T>::value, self.data(), vals.data(), index.data(), loop);
      for (int64_t e = 0; e <= rows * pitch; ++e)
        expect_close(double(self[e]), want[e], 1e-5, 1e-5, "scatter_add " + what + fmt(" at %lld", e));
      check_report(bad_values, src_cols, "scatter_add " + what);
    }
  }
}

// scatter_reduce along dim 1 of a padded [rows, src_cols] tensor, each op against a loop in index
// order (PyTorch's CPU order). The atomics combine in another order, so float sums and products
// are compared with a tolerance, and Assign with duplicates may keep any of them. Floats include
// NaN (it wins a max/min whatever the order) and no +-0 pairs (their order would show).
template <class T>
void check_scatter_reduce() {
  using ember::kernels::ScatterReduce;
  const ScatterReduce ops[] = {ScatterReduce::Assign, ScatterReduce::Sum, ScatterReduce::Prod, ScatterReduce::Amax,
                               ScatterReduce::Amin};
  for (auto [rows, cols, src_cols] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 5, 7}, {5, 300, 40}, {70, 9, 3}}) {
    for (bool bad : {false, true}) {
      const int64_t pitch = src_cols + 2;
      std::set<int64_t> bad_values;
      auto index = indices(rows * cols, src_cols, rows * 3 + cols, bad, &bad_values);
      auto vals = random_values<T>(rows * cols, 17, 1.5);
      auto start = random_values<T>(rows * pitch + 1, 19, 1.5);
      if constexpr (std::is_floating_point_v<T>) {
        vals[0] = std::numeric_limits<T>::quiet_NaN();
        for (auto& v : vals) if (v == T(0)) v = T(0.5);
        for (auto& v : start) if (v == T(0)) v = T(0.5);
      }
      const int64_t sizes[2] = {rows, cols}, strides[2] = {pitch, 1};
      ember::kernels::DimIndexLoop loop{2, 1, sizes, strides, src_cols};
      for (ScatterReduce op : ops) {
        const std::string what = fmt("scatter_reduce op=%lld rows=%lld cols=%lld src_cols=%lld", int(op), rows, cols,
                                     src_cols) + fmt(" bad=%lld", bad);
        Vec<T> want(start.size()), self(start.size());
        std::vector<std::set<double>> written(start.size());  // the non-NaN values scattered there
        std::vector<bool> nan_written(start.size(), false);
        for (size_t e = 0; e < start.size(); ++e) want[e] = self[e] = start[e];
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            const int64_t j = index[r * cols + c];
            if (j < 0 || j >= src_cols) continue;
            T& w = want[r * pitch + j];
            w = ember::kernels::scatter_combine(op, w, vals[r * cols + c]);
            const double v = double(vals[r * cols + c]);
            if (v != v) nan_written[r * pitch + j] = true;
            else written[r * pitch + j].insert(v);
          }
        reset_report();
        kc::scatter_reduce(ember::dtype_of<T>::value, op, self.data(), vals.data(), index.data(), loop);
        for (size_t e = 0; e < start.size(); ++e) {
          const std::string at = what + fmt(" at %lld", int64_t(e));
          if (op == ScatterReduce::Assign && (!written[e].empty() || nan_written[e])) {
            const double got = double(self[e]);
            expect(got != got ? bool(nan_written[e]) : written[e].count(got) == 1, at + " wrote none of its values");
          } else if (std::is_floating_point_v<T>) {
            expect_close(double(self[e]), double(want[e]), std::is_same_v<T, float> ? 1e-4 : 1e-10, 0, at);
          } else {
            expect(self[e] == want[e], at + fmt(" got %lld want %lld", int64_t(self[e]), int64_t(want[e])));
          }
        }
        check_report(bad_values, src_cols, what);
      }
    }
  }
}

// gather along dim 0 of a 3-d tensor [src_n, 4, 6] whose middle dim is strided (step 2).
void check_gather_dim0() {
  const int64_t src_n = 5, a = 4, b = 6;
  const int64_t strides[3] = {a * 2 * b, 2 * b, 1};
  auto src = random_values<double>(src_n * a * 2 * b, 21);
  for (bool bad : {false, true}) {
    std::set<int64_t> bad_values;
    const int64_t sizes[3] = {7, a, b};  // index shape: 7 along dim 0
    auto index = indices(7 * a * b, src_n, 33, bad, &bad_values);
    ember::kernels::DimIndexLoop loop{3, 0, sizes, strides, src_n};
    reset_report();
    Vec<double> out(7 * a * b, 1.0);
    kc::gather(DType::Float64, out.data(), src.data(), index.data(), loop);
    for (int64_t i = 0; i < 7; ++i)
      for (int64_t j = 0; j < a; ++j)
        for (int64_t k = 0; k < b; ++k) {
          const int64_t e = (i * a + j) * b + k, v = index[e];
          const double want = (v < 0 || v >= src_n) ? 1.0 : src[v * strides[0] + j * strides[1] + k];
          expect(out[e] == want, fmt("gather dim0 bad=%lld at %lld", bad, e));
        }
    check_report(bad_values, src_n, "gather dim0");
  }
}

template <class T>
void check_index_select_add() {
  for (auto [outer, n, src_n, inner] :
       std::vector<std::array<int64_t, 4>>{{1, 1, 1, 1}, {2, 5, 3, 7}, {3, 100, 10, 1}, {1, 7, 300, 40}}) {
    for (bool bad : {false, true}) {
      std::set<int64_t> bad_values;
      auto index = indices(n, src_n, n + src_n, bad, &bad_values);
      auto src = random_values<T>(outer * src_n * inner, 3);
      const std::string what = fmt("index_select outer=%lld n=%lld src_n=%lld inner=%lld", outer, n, src_n, inner);
      reset_report();
      Vec<T> out(outer * n * inner, T(1));
      kc::index_select(ember::dtype_of<T>::value, out.data(), src.data(), index.data(), n, outer, src_n, inner);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t row = index[j];
            const T want = (row < 0 || row >= src_n) ? T(1) : src[(o * src_n + row) * inner + i];
            expect(out[(o * n + j) * inner + i] == want, what + fmt(" at %lld,%lld,%lld", o, j, i));
          }
      check_report(bad_values, src_n, what);

      auto vals = random_values<T>(outer * n * inner, 4);
      Vec<T> self(outer * src_n * inner, T(0));
      Vec<double> want(outer * src_n * inner, 0.0);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < n; ++j)
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t row = index[j];
            if (row < 0 || row >= src_n) continue;
            double& w = want[(o * src_n + row) * inner + i];
            if constexpr (std::is_same_v<T, bool>) w = w || vals[(o * n + j) * inner + i];
            else w += double(vals[(o * n + j) * inner + i]);
          }
      kc::index_add(ember::dtype_of<T>::value, self.data(), vals.data(), index.data(), n, outer, src_n, inner);
      for (size_t e = 0; e < self.size(); ++e)
        expect_close(double(self[e]), want[e], 1e-5, 1e-5, "index_add " + what + fmt(" at %lld", e));
      check_report(bad_values, src_n, "index_add " + what);
    }
  }
}

void check_put_rows_and_combine() {
  // put_rows: 4 rows of a [3, 5] block (strides 10, 2) at offsets into a big buffer; row 2 is a
  // bad index's (offset -1, what combine_indices gives it) and must write nothing.
  const int64_t rest_sizes[2] = {3, 5}, rest_strides[2] = {10, 2};
  Vec<int64_t> offsets(4);
  for (int64_t r = 0; r < 4; ++r) offsets[r] = r == 2 ? -1 : r * 40 + 1;
  auto src = random_values<double>(4 * 15, 8);
  Vec<double> dst(200, -1.0);
  kc::put_rows(DType::Float64, dst.data(), src.data(), offsets.data(), 4, 2, rest_sizes, rest_strides);
  std::vector<double> want(200, -1.0);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t a = 0; a < 3 && r != 2; ++a)
      for (int64_t b = 0; b < 5; ++b) want[offsets[r] + a * 10 + b * 2] = src[r * 15 + a * 5 + b];
  for (int64_t e = 0; e < 200; ++e) expect(dst[e] == want[e], fmt("put_rows at %lld", e));

  // combine_indices: two terms, negative indices wrap, out-of-range ones are reported (offset 0).
  for (bool bad : {false, true}) {
    const int64_t n = 600;
    Vec<int64_t> i0(n), i1(n);
    std::set<int64_t> bad_values;
    for (int64_t e = 0; e < n; ++e) {
      i0[e] = (e * 7) % 9 - 4;  // in [-4, 4], size 5
      i1[e] = (e * 5) % 13 - 6;  // in [-6, 6], size 7
      if (bad && e % 97 == 50) {
        i1[e] = e % 4 == 0 ? 7 : e % 4 == 1 ? -8 : e % 4 == 2 ? 7 + e : -8 - e;  // the bounds, then beyond
        bad_values.insert(i1[e]);
      }
    }
    ember::kernels::IndexTerms t;
    t.count = 2;
    t.index[0] = i0.data(), t.size[0] = 5, t.mult[0] = 70, t.dim[0] = 0;
    t.index[1] = i1.data(), t.size[1] = 7, t.mult[1] = 3, t.dim[1] = 1;
    reset_report();
    Vec<int64_t> out(n, -5);
    kc::combine_indices(out.data(), t, n);
    for (int64_t e = 0; e < n; ++e) {
      const bool ok = i1[e] >= -7 && i1[e] < 7;
      const int64_t want = ok ? ((i0[e] + 5) % 5) * 70 + ((i1[e] + 7) % 7) * 3 : -1;  // -1: a skipped row
      expect(out[e] == want, fmt("combine_indices at %lld got %lld want %lld", e, out[e], want));
    }
    check_report(bad_values, 7, "combine_indices");
  }
}

void check_nonzero() {
  for (auto sizes : std::vector<std::vector<int64_t>>{{1}, {3, 5}, {255}, {4, 1025}, {3, 7000}, {2, 3, 9001}}) {
    int64_t n = 1;
    for (auto s : sizes) n *= s;
    for (int density : {0, 3, 50, 100}) {
      Vec<bool> mask(n);
      std::mt19937 rng(n + density);
      for (int64_t k = 0; k < n; ++k) mask[k] = int(rng() % 100) < density;
      Vec<int64_t> offsets(ember::kernels::nonzero_blocks(n) + 1, -9);
      const int64_t total = kc::nonzero_count(mask.data(), n, offsets.data());
      std::vector<int64_t> want;
      for (int64_t k = 0; k < n; ++k)
        if (mask[k]) {
          int64_t rem = k;
          std::vector<int64_t> c(sizes.size());
          for (int d = int(sizes.size()) - 1; d >= 0; --d) c[d] = rem % sizes[d], rem /= sizes[d];
          want.insert(want.end(), c.begin(), c.end());
        }
      const int64_t ndim = int64_t(sizes.size());
      const std::string what = fmt("nonzero n=%lld density=%lld", n, density);
      expect(total * ndim == int64_t(want.size()), what + fmt(" count got %lld want %lld", total, int64_t(want.size()) / ndim));
      if (total * ndim != int64_t(want.size())) continue;
      Vec<int64_t> out(want.size() + 1, -3);
      kc::nonzero_fill(mask.data(), int(ndim), sizes.data(), offsets.data(), out.data());
      for (size_t e = 0; e < want.size(); ++e) expect(out[e] == want[e], what + fmt(" coordinate %lld", e));
      expect(out[want.size()] == -3, what + " wrote past the end");
    }
  }
}

}  // namespace

void test_index() {
  check_gather_scatter<float>();
  check_gather_scatter<double>();
  check_gather_scatter<int64_t>();
  check_gather_scatter<int32_t>();
  check_gather_scatter<bool>();
  check_scatter_reduce<float>();
  check_scatter_reduce<double>();
  check_scatter_reduce<int64_t>();
  check_scatter_reduce<bool>();
  check_index_select_add<float>();
  check_index_select_add<int64_t>();
  check_index_select_add<int32_t>();
  check_index_select_add<bool>();
  check_gather_dim0();
  check_put_rows_and_combine();
  check_nonzero();
}
