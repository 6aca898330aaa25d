#include "kernels/softmax.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd_math.h"

namespace ember::kernels::cpu {

// Note [Stable softmax]: softmax(x) = exp(x - m) / sum(exp(x - m)) with m the row max, so no
// exp overflows and the largest term is exactly 1 (the sum is >= 1, its log is safe).
// log_softmax = (x - m) - log(sum(exp(x - m))). A row of all -inf has m = -inf; x - m is then
// NaN, as it is in PyTorch.
namespace {

// Note [Row softmax]: float32 over the last dim, the common case, reads each row three times
// while it sits in L1: a vectorised max, then exp(x - m) written out with its sum (the
// polynomial exp of Note [Polynomial exp]), then one scale. A row whose max is not finite
// (all -inf, a +inf or a NaN) is left to the general loop, which has PyTorch's answers for those.
bool softmax_row_f32(bool log, float* o, const float* x, int64_t n) {
  float m = max_f32(x, n);
  if (!(m > -__builtin_inff() && m < __builtin_inff())) return false;
  if (log) {
    float log_sum = static_cast<float>(std::log(exp_shifted_f32(nullptr, x, n, m)));
    for (int64_t i = 0; i < n; ++i) o[i] = (x[i] - m) - log_sum;
  } else {
    float inv = static_cast<float>(1.0 / exp_shifted_f32(o, x, n, m));
    for (int64_t i = 0; i < n; ++i) o[i] *= inv;
  }
  return true;
}

}  // namespace

void softmax(DType dtype, bool log, void* out, const void* x, int64_t outer, int64_t dim, int64_t inner) {
  if (dtype == DType::Float32 && inner == 1) {
    auto* o = static_cast<float*>(out);
    auto* in = static_cast<const float*>(x);
    std::atomic<bool> all_fast{true};
    parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(dim, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        if (!softmax_row_f32(log, o + b * dim, in + b * dim, dim)) all_fast = false;
    });
    if (all_fast) return;  // else redo everything below (rare: a row with inf or NaN)
  }
  EMBER_DISPATCH_FLOATING(dtype, log ? "log_softmax" : "softmax", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* in = static_cast<const scalar_t*>(x);
    int64_t block = dim * inner;
    int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(block, 1));
    parallel_for(outer, grain, [&](int64_t lo, int64_t hi) {
      // One running max and sum per inner column; the k loop is outside so memory is read in order.
      std::vector<scalar_t> mx(static_cast<size_t>(inner));
      std::vector<double> sum(static_cast<size_t>(inner));
      for (int64_t b = lo; b < hi; ++b) {
        const scalar_t* xb = in + b * block;
        scalar_t* ob = o + b * block;
        std::fill(mx.begin(), mx.end(), -std::numeric_limits<scalar_t>::infinity());
        std::fill(sum.begin(), sum.end(), 0.0);
        for (int64_t k = 0; k < dim; ++k)
          for (int64_t i = 0; i < inner; ++i) {
            scalar_t v = xb[k * inner + i];
            // A NaN becomes the max and stays (so the whole row is NaN, as in PyTorch).
            if (v > mx[i] || v != v) mx[i] = v;
          }
        for (int64_t k = 0; k < dim; ++k)
          for (int64_t i = 0; i < inner; ++i) {
            scalar_t e = std::exp(xb[k * inner + i] - mx[i]);
            sum[i] += static_cast<double>(e);
            if (!log) ob[k * inner + i] = e;
          }
        if (log) {
          for (int64_t i = 0; i < inner; ++i) sum[i] = std::log(sum[i]);
          for (int64_t k = 0; k < dim; ++k)
            for (int64_t i = 0; i < inner; ++i)
              ob[k * inner + i] = static_cast<scalar_t>(static_cast<double>(xb[k * inner + i] - mx[i]) - sum[i]);
        } else {
          for (int64_t i = 0; i < inner; ++i) sum[i] = 1.0 / sum[i];
          for (int64_t k = 0; k < dim; ++k)
            for (int64_t i = 0; i < inner; ++i)
              ob[k * inner + i] = static_cast<scalar_t>(static_cast<double>(ob[k * inner + i]) * sum[i]);
        }
      }
    });
  });
}

}  // namespace ember::kernels::cpu
