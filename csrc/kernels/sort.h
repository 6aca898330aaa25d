// Sorting rows and searching sorted rows: kernels/cpu/sort.cpp and its CUDA twin
// kernels/cuda/sort.cu. The order and the binary search are here, shared by both twins, so
// both give the same permutation and the same insertion points.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/functors.h"
#include "kernels/twins.h"

namespace ember::kernels {

template <class T>
EMBER_HD inline bool sort_is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

// Note [Sort order]: PyTorch sorts NaN as larger than every number (last ascending, first
// descending) and treats +0 and -0 as equal. Ties go by position, so the order is strict and
// total: any correct sort gives the stable permutation (what stable=True promises; ember gives
// it for stable=False too). Whether (a at ia) comes before (b at ib):
template <class T>
EMBER_HD inline bool sort_before(bool descending, T a, int64_t ia, T b, int64_t ib) {
  const bool an = sort_is_nan(a), bn = sort_is_nan(b);
  if (an != bn) return descending ? an : bn;
  if (!an && a != b) return descending ? b < a : a < b;
  return ia < ib;
}

// Note [Search bounds]: PyTorch's searchsorted compares with !(s >= v) (left) and !(s > v)
// (right): a NaN value goes past every element (to len), and a NaN in the sequence counts as
// smaller than every value. The first position in seq[0, n) where the search stops:
template <class T>
EMBER_HD inline int64_t search_bound(bool right, const T* seq, int64_t n, T v) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const T s = seq[mid];
    if (right ? !(s > v) : !(s >= v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Note [Median]: the lower median, sorted[(n - 1) / 2], as PyTorch takes it; but a row with a
// NaN has median NaN, at the first NaN's position (PyTorch propagates NaN; nanmedian would not).
// NaN sorts last and the order is stable, so that NaN sits at sorted[n - nan_count].
EMBER_HD inline int64_t median_position(int64_t n, int64_t nan_count) {
  return nan_count > 0 ? n - nan_count : (n - 1) / 2;
}

}  // namespace ember::kernels

#define EMBER_SORT_KERNELS                                                                           \
  /* Sorts each row of a contiguous [rows, n] block by Note [Sort order]: values[r, :] gets the       \
     sorted row, indices[r, :] (int64) the position each came from. Any dtype. */                   \
  void sort_rows(DType dtype, bool descending, void* values, int64_t* indices, const void* in, int64_t rows, \
                 int64_t n);                                                                         \
  /* The first k of each row in the order of sort_rows (descending when `largest`): values and       \
     indices are [rows, k]. Float32/float64/int64. */                                               \
  void topk_rows(DType dtype, bool largest, int64_t k, void* values, int64_t* indices, const void* in, int64_t rows, \
                 int64_t n);                                               \
  /* The element at position k of each ascending-sorted row, or with `median` at Note [Median]'s     \
     position (n - nan_count when the row has NaN, else (n - 1) / 2): values and indices are [rows]. */ \
  void kth_rows(DType dtype, int64_t k, bool median, void* values, int64_t* indices, const void* in, int64_t rows, \
                int64_t n);                                                                          \
  /* out[r, i] = search_bound(right, seq + r * seq_stride, seq_len, values[r * per_row + i]) for      \
     r < rows, i < per_row; seq_stride 0 shares one sequence. seq and values have one dtype. */     \
  void search_sorted(DType dtype, bool right, int64_t* out, const void* seq, const void* values, int64_t rows, \
                     int64_t per_row, int64_t seq_len, int64_t seq_stride);

EMBER_DECLARE_TWINS(EMBER_SORT_KERNELS)
