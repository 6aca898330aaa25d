#include "kernels/sort.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

// Each row: sort the positions 0..n-1 by Note [Sort order] (a strict total order, so std::sort
// already gives the stable permutation), then gather the values.
void sort_rows(DType dtype, bool descending, void* values, int64_t* indices, const void* in, int64_t rows,
               int64_t n) {
  if (rows == 0 || n == 0) return;
  EMBER_DISPATCH_ALL(dtype, "sort", [&] {
    auto* v = static_cast<scalar_t*>(values);
    auto* x = static_cast<const scalar_t*>(in);
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / (4 * n)), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const scalar_t* row = x + r * n;
        int64_t* idx = indices + r * n;
        std::iota(idx, idx + n, int64_t(0));
        std::sort(idx, idx + n, [&](int64_t a, int64_t b) { return sort_before(descending, row[a], a, row[b], b); });
        for (int64_t i = 0; i < n; ++i) v[r * n + i] = row[idx[i]];
      }
    });
  });
}

// Note [Partial sorts]: the order is strict and total (Note [Sort order]), so partial_sort's
// first k and nth_element's pick are exactly what a full sort puts there: the CUDA twin, which
// sorts whole rows, gives the same values and indices.
void topk_rows(DType dtype, bool largest, int64_t k, void* values, int64_t* indices, const void* in, int64_t rows,
               int64_t n) {
  if (rows == 0 || k == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "topk", [&] {
    auto* v = static_cast<scalar_t*>(values);
    auto* x = static_cast<const scalar_t*>(in);
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / (4 * n)), [&](int64_t lo, int64_t hi) {
      std::vector<int64_t> idx(static_cast<size_t>(n));
      for (int64_t r = lo; r < hi; ++r) {
        const scalar_t* row = x + r * n;
        std::iota(idx.begin(), idx.end(), int64_t(0));
        auto before = [&](int64_t a, int64_t b) { return sort_before(largest, row[a], a, row[b], b); };
        if (4 * k > n) std::sort(idx.begin(), idx.end(), before);
        else std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), before);
        for (int64_t i = 0; i < k; ++i) {
          v[r * k + i] = row[idx[i]];
          indices[r * k + i] = idx[i];
        }
      }
    });
  });
}

void kth_rows(DType dtype, int64_t k, bool median, void* values, int64_t* indices, const void* in, int64_t rows,
              int64_t n) {
  if (rows == 0 || n == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, median ? "median" : "kthvalue", [&] {
    auto* v = static_cast<scalar_t*>(values);
    auto* x = static_cast<const scalar_t*>(in);
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / (2 * n)), [&](int64_t lo, int64_t hi) {
      std::vector<int64_t> idx(static_cast<size_t>(n));
      for (int64_t r = lo; r < hi; ++r) {
        const scalar_t* row = x + r * n;
        int64_t at = k;
        if (median) {
          int64_t nans = 0;
          for (int64_t i = 0; i < n; ++i) nans += sort_is_nan(row[i]);
          at = median_position(n, nans);
        }
        std::iota(idx.begin(), idx.end(), int64_t(0));
        std::nth_element(idx.begin(), idx.begin() + at, idx.end(),
                         [&](int64_t a, int64_t b) { return sort_before(false, row[a], a, row[b], b); });
        v[r] = row[idx[at]];
        indices[r] = idx[at];
      }
    });
  });
}

void search_sorted(DType dtype, bool right, int64_t* out, const void* seq, const void* values, int64_t rows,
                   int64_t per_row, int64_t seq_len, int64_t seq_stride) {
  if (rows == 0 || per_row == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "searchsorted", [&] {
    auto* s = static_cast<const scalar_t*>(seq);
    auto* v = static_cast<const scalar_t*>(values);
    parallel_for(rows * per_row, kParallelGrain / 16, [&](int64_t lo, int64_t hi) {
      for (int64_t e = lo; e < hi; ++e)
        out[e] = search_bound(right, s + (e / per_row) * seq_stride, seq_len, v[e]);
    });
  });
}

}  // namespace ember::kernels::cpu
