#include "kernels/cpu/reduce.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {
// float32 sums accumulate in double: long rows then lose no more precision than PyTorch's
// cascade summation, at a cost the compiler still vectorises.
template <typename T> struct Acc { using type = T; };
template <> struct Acc<float> { using type = double; };
}  // namespace

void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    using acc_t = typename Acc<scalar_t>::type;
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    int64_t grain = inner > 0 ? std::max<int64_t>(1, kParallelGrain / inner) : outer + 1;
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const scalar_t* row = x + i * inner;
        acc_t s = 0;
        for (int64_t j = 0; j < inner; ++j) s += row[j];
        o[i] = static_cast<scalar_t>(s);
      }
    });
  });
}

void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols) {
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    using acc_t = typename Acc<scalar_t>::type;
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    std::vector<acc_t> acc(static_cast<size_t>(cols), acc_t(0));
    for (int64_t i = 0; i < rows; ++i) {
      const scalar_t* row = x + i * cols;
      for (int64_t j = 0; j < cols; ++j) acc[j] += row[j];
    }
    for (int64_t j = 0; j < cols; ++j) o[j] = static_cast<scalar_t>(acc[j]);
  });
}

}  // namespace ember::kernels::cpu

namespace ember::kernels::cpu {

void var_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner, double correction) {
  EMBER_DISPATCH_FLOATING(dtype, "var", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    double dof = std::max(0.0, static_cast<double>(inner) - correction);
    int64_t grain = inner > 0 ? std::max<int64_t>(1, kParallelGrain / inner) : outer + 1;
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const scalar_t* row = x + i * inner;
        // Two passes in double: the mean first, then squared deviations from it, which does not
        // suffer the cancellation of sum(x^2) - n * mean^2.
        double s = 0;
        for (int64_t j = 0; j < inner; ++j) s += static_cast<double>(row[j]);
        double mean = s / static_cast<double>(inner);
        double ss = 0;
        for (int64_t j = 0; j < inner; ++j) {
          double d = static_cast<double>(row[j]) - mean;
          ss += d * d;
        }
        o[i] = static_cast<scalar_t>(ss / dof);
      }
    });
  });
}

namespace {
template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  return false;
}
}  // namespace

void minmax_last_axis(DType dtype, bool is_max, void* out, int64_t* indices, const void* in, int64_t outer,
                      int64_t inner) {
  EMBER_DISPATCH_ALL(dtype, is_max ? "max" : "min", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1));
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const scalar_t* row = x + i * inner;
        scalar_t best = row[0];
        int64_t at = 0;
        for (int64_t j = 1; j < inner && !is_nan(best); ++j) {
          scalar_t v = row[j];
          if (is_nan(v) || (is_max ? v > best : v < best)) {
            best = v;
            at = j;
          }
        }
        o[i] = best;
        if (indices) indices[i] = at;
      }
    });
  });
}

}  // namespace ember::kernels::cpu
