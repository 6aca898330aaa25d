#include "kernels/reduce.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/reduce_functors.h"

namespace ember::kernels::cpu {

namespace {

// Note [Cascade sum]: a row is summed in chunks of kChunk elements; each chunk goes into kLanes
// independent accumulators of the element type (GCC turns them into SIMD registers, so the loop
// runs at memory speed instead of one dependent add per element), and the chunk totals are added
// in double. Each float lane then adds only kChunk / kLanes = 64 values before its total moves
// to double, which keeps the error close to PyTorch's cascade sum (far better than one long
// float chain) without the scalar double chain this replaced (16-21x slower than NumPy).
constexpr int kLanes = 32;
constexpr int64_t kChunk = 2048;

template <typename T>
double chunk_sum(const T* x, int64_t n) {  // n <= kChunk
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += x[i + l];
  for (int l = 0; i < n; ++i, ++l) acc[l] += x[i];
  // Fold the lanes pairwise: 32 -> 16 -> ... -> 1.
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return static_cast<double>(acc[0]);
}

template <typename T>
double row_sum(const T* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i += kChunk) s += chunk_sum(x + i, std::min(kChunk, n - i));
  return s;
}

// var works in double lanes (they still vectorise): a float32 cascade mean of values near 1e6
// is off by a few units in the last place, which biases a small variance (test_reduce's
// test_var_is_stable_for_large_offsets).
template <typename T>
double sum_in_double(const T* x, int64_t n, double shift, bool square) {
  constexpr int L = 16;
  double acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      double v = static_cast<double>(x[i + l]);
      acc[l] += square ? squared_deviation(v, shift) : v - shift;
    }
  for (int l = 0; i < n; ++i, ++l) {
    double v = static_cast<double>(x[i]);
    acc[l] += square ? squared_deviation(v, shift) : v - shift;
  }
  for (int w = L / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

// Integer sums wrap like PyTorch's, without signed-overflow UB (Note [Wrapping integer arithmetic]).
template <typename T>
T int_row_sum(const T* x, int64_t n) {
  T s = 0;
  for (int64_t i = 0; i < n; ++i) s = wrapping_add(s, x[i]);
  return s;
}

}  // namespace

void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    if constexpr (std::is_floating_point_v<scalar_t>) {
      // Few long rows (sum of everything): split each row into chunks across the threads.
      if (outer < max_kernel_threads() && inner >= 2 * kParallelGrain) {
        int64_t nchunks = (inner + kChunk - 1) / kChunk;
        std::vector<double> part(static_cast<size_t>(nchunks));
        for (int64_t i = 0; i < outer; ++i) {
          const scalar_t* row = x + i * inner;
          parallel_for(nchunks, kParallelGrain / kChunk, [&](int64_t lo, int64_t hi) {
            for (int64_t c = lo; c < hi; ++c) part[c] = chunk_sum(row + c * kChunk, std::min(kChunk, inner - c * kChunk));
          });
          double s = 0;
          for (double v : part) s += v;
          o[i] = static_cast<scalar_t>(s);
        }
        return;
      }
    }
    int64_t grain = inner > 0 ? std::max<int64_t>(1, kParallelGrain / inner) : outer + 1;
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        if constexpr (std::is_floating_point_v<scalar_t>)
          o[i] = static_cast<scalar_t>(row_sum(x + i * inner, inner));
        else
          o[i] = int_row_sum(x + i * inner, inner);
      }
    });
  });
}

// Columns are summed over blocks of kRowBlock rows in the element type (a vectorised add of
// whole rows), and each block's totals are added into double: see Note [Cascade sum].
void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols) {
  // One column (the sum of a whole contiguous tensor) is one contiguous row.
  if (cols == 1) return sum_last_axis(dtype, out, in, 1, rows);
  constexpr int64_t kRowBlock = 64;
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    using acc_t = std::conditional_t<std::is_floating_point_v<scalar_t>, double, scalar_t>;
    // Threads take column strips (each a multiple of 64 columns, to keep cache lines apart).
    int64_t grain = std::max<int64_t>(64, (kParallelGrain / std::max<int64_t>(rows, 1) + 63) / 64 * 64);
    parallel_for(cols, grain, [&](int64_t lo, int64_t hi) {
      int64_t w = hi - lo;
      std::vector<acc_t> acc(static_cast<size_t>(w), acc_t(0));
      std::vector<scalar_t> block(static_cast<size_t>(w));
      for (int64_t r0 = 0; r0 < rows; r0 += kRowBlock) {
        std::fill(block.begin(), block.end(), scalar_t(0));
        scalar_t* b = block.data();
        for (int64_t i = r0; i < std::min(rows, r0 + kRowBlock); ++i) {
          const scalar_t* row = x + i * cols + lo;
          // wrapping_add is a plain + for floats; integers wrap (Note [Wrapping integer arithmetic]).
          for (int64_t j = 0; j < w; ++j) b[j] = wrapping_add(b[j], row[j]);
        }
        for (int64_t j = 0; j < w; ++j) acc[j] = wrapping_add(acc[j], static_cast<acc_t>(b[j]));
      }
      for (int64_t j = 0; j < w; ++j) o[lo + j] = static_cast<scalar_t>(acc[j]);
    });
  });
}

}  // namespace ember::kernels::cpu

namespace ember::kernels::cpu {

void var_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner, double correction) {
  EMBER_DISPATCH_FLOATING(dtype, "var", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    double dof = variance_divisor(inner, correction);
    int64_t grain = inner > 0 ? std::max<int64_t>(1, kParallelGrain / inner) : outer + 1;
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const scalar_t* row = x + i * inner;
        // Two passes: the mean first, then squared deviations from it, which does not suffer the
        // cancellation of sum(x^2) - n * mean^2.
        double mean = sum_in_double(row, inner, 0.0, false) / static_cast<double>(inner);
        double ss = sum_in_double(row, inner, mean, true);
        o[i] = static_cast<scalar_t>(ss / dof);
      }
    });
  });
}

namespace {

// The extreme of one contiguous run and the first index holding it (Note [Max/min candidates]).
// Note [Vectorised argmax]: one branch-free pass finds the extreme value and whether a NaN is
// present (both vectorise: lane-wise max and an OR of x != x); a second pass finds the first
// index holding it, usually stopping early. A single pass would carry the index through a
// dependent branch per element.
template <typename T>
ArgExtreme<T> run_extreme(bool is_max, bool last_of_ties, const T* row, int64_t n) {
  constexpr int L = 16;
  T lane[L];
  bool nan = false;
  for (int l = 0; l < L; ++l) lane[l] = row[0];
  int64_t j = 0;
  for (; j + L <= n; j += L) {
    for (int l = 0; l < L; ++l) {
      T v = row[j + l];
      nan |= is_nan_value(v);
      lane[l] = more_extreme(is_max, v, lane[l]) ? v : lane[l];
    }
  }
  for (; j < n; ++j) {
    T v = row[j];
    nan |= is_nan_value(v);
    lane[0] = more_extreme(is_max, v, lane[0]) ? v : lane[0];
  }
  T best = lane[0];
  for (int l = 1; l < L; ++l) best = more_extreme(is_max, lane[l], best) ? lane[l] : best;
  // Of +0 and -0 (equal), the one at the first (or last) index.
  const int64_t step = last_of_ties ? -1 : 1;
  int64_t at = last_of_ties ? n - 1 : 0;
  if (nan) {
    while (!is_nan_value(row[at])) at += step;
  } else {
    while (row[at] != best) at += step;
  }
  return {row[at], at};
}

}  // namespace

void minmax_last_axis(DType dtype, bool is_max, bool last_of_ties, void* out, int64_t* indices, const void* in,
                      int64_t outer, int64_t inner) {
  EMBER_DISPATCH_ALL(dtype, is_max ? "max" : "min", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    // Few long rows (argmax of everything): chunks of a row go to the threads, and their
    // candidates are combined by the rule the CUDA twin's warps use.
    if (outer < max_kernel_threads() && inner >= 2 * kParallelGrain) {
      int64_t nchunks = (inner + kParallelGrain - 1) / kParallelGrain;
      std::vector<ArgExtreme<scalar_t>> part(static_cast<size_t>(nchunks));
      for (int64_t i = 0; i < outer; ++i) {
        const scalar_t* row = x + i * inner;
        parallel_for(nchunks, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t c = lo; c < hi; ++c) {
            int64_t start = c * kParallelGrain;
            part[c] = run_extreme(is_max, last_of_ties, row + start, std::min(kParallelGrain, inner - start));
            part[c].index += start;
          }
        });
        ArgExtreme<scalar_t> best{scalar_t(0), -1};
        for (const auto& p : part) best = arg_extreme_combine(is_max, best, p, last_of_ties);
        o[i] = best.value;
        if (indices) indices[i] = best.index;
      }
      return;
    }
    int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        ArgExtreme<scalar_t> best = run_extreme(is_max, last_of_ties, x + i * inner, inner);
        o[i] = best.value;
        if (indices) indices[i] = best.index;
      }
    });
  });
}

void prod_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  EMBER_DISPATCH_NUMERIC(dtype, "prod", [&] {
    using acc_t = std::conditional_t<std::is_floating_point_v<scalar_t>, double, int64_t>;
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    int64_t grain = inner > 0 ? std::max<int64_t>(1, kParallelGrain / inner) : outer + 1;
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        acc_t p = 1;
        for (int64_t j = 0; j < inner; ++j) p = wrapping_mul(p, static_cast<acc_t>(x[i * inner + j]));
        o[i] = static_cast<scalar_t>(p);
      }
    });
  });
}

}  // namespace ember::kernels::cpu
