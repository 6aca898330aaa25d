// The CPU loss kernels (kernels/loss.h): the fused cross entropy and the pointwise losses. Their
// CUDA twins are in kernels/cuda/loss.cu.
#include "kernels/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/simd_math.h"
#include "kernels/loss_functors.h"
#include "kernels/reduce_functors.h"

namespace ember::kernels::cpu {

int64_t find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index) {
  for (int64_t r = 0; r < n; ++r) {
    int64_t t = target[r];
    if (t != ignore_index && (t < 0 || t >= classes)) return r;
  }
  return -1;
}

namespace {

// Note [Fast cross-entropy rows]: float32 rows whose max is finite (all but rows holding inf or
// NaN) take a vectorised path: max, then sum exp(x - m) with the polynomial exp (Note
// [Polynomial exp]); the backward writes exp(x - lse) with the same kernel and fixes it up in
// place. Other rows keep the general double-precision loops below, which define the edge cases.
bool finite(double v) { return v > -std::numeric_limits<double>::infinity() && v < std::numeric_limits<double>::infinity(); }

bool lse_row_f32(const float* row, int64_t classes, double* lse) {
  float m = max_f32(row, classes);
  if (!finite(m)) return false;
  *lse = static_cast<double>(m) + std::log(exp_shifted_f32(nullptr, row, classes, m));
  return true;
}

// The fast paths, float32 only (the double overloads decline).
bool fast_forward_row(const double*, int64_t, int64_t, int64_t, double, double*, double*) { return false; }
bool fast_forward_row(const float* row, int64_t classes, int64_t t, int64_t ignore_index, double label_smoothing,
                      double* lse, float* loss) {
  double l;
  if (classes <= 0 || !lse_row_f32(row, classes, &l)) return false;
  *lse = l;
  if (t == ignore_index) {
    *loss = 0.0f;
    return true;
  }
  double sum_x = 0;
  if (label_smoothing != 0)
    for (int64_t c = 0; c < classes; ++c) sum_x += static_cast<double>(row[c]);
  *loss = static_cast<float>(cross_entropy_row_loss(l, static_cast<double>(row[t]), sum_x, classes, label_smoothing));
  return true;
}

bool fast_backward_row(double*, const double*, int64_t, int64_t, double, double, double, double) { return false; }
bool fast_backward_row(float* drow, const float* row, int64_t classes, int64_t t, double l, double k, double off,
                       double label_smoothing) {
  if (!finite(l)) return false;
  exp_shifted_f32(drow, row, classes, static_cast<float>(l));
  const float fk = static_cast<float>(k), foff = static_cast<float>(off);
  for (int64_t c = 0; c < classes; ++c) drow[c] = (drow[c] - foff) * fk;
  drow[t] -= static_cast<float>((1.0 - label_smoothing) * k);
  return true;
}

}  // namespace

void cross_entropy_forward(DType dtype, void* loss, double* lse, const void* logits, const int64_t* target,
                           int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing) {
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy", [&] {
    auto* out = static_cast<scalar_t*>(loss);
    auto* x = static_cast<const scalar_t*>(logits);
    const double inf = std::numeric_limits<double>::infinity();
    int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(classes, 1));
    parallel_for(n, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const scalar_t* row = x + r * classes;
        if (fast_forward_row(row, classes, target[r], ignore_index, label_smoothing, &lse[r], &out[r])) continue;
        // Note [Online logsumexp] (kernels/reduce_functors.h).
        double m = -inf, s = 0, sum_x = 0;
        for (int64_t c = 0; c < classes; ++c) {
          double v = static_cast<double>(row[c]);
          sum_x += v;
          online_lse_add(m, s, v);
        }
        double l = m + std::log(s);
        lse[r] = l;
        int64_t t = target[r];
        if (t == ignore_index) {
          out[r] = scalar_t(0);
          continue;
        }
        out[r] = static_cast<scalar_t>(cross_entropy_row_loss(l, static_cast<double>(row[t]), sum_x, classes,
                                                              label_smoothing));
      }
    });
  });
}

void cross_entropy_backward(DType dtype, void* dlogits, const void* logits, const double* lse,
                            const int64_t* target, const void* grad, int64_t grad_stride, const void* divisor,
                            int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing) {
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy_backward", [&] {
    auto* d = static_cast<scalar_t*>(dlogits);
    auto* x = static_cast<const scalar_t*>(logits);
    auto* g = static_cast<const scalar_t*>(grad);
    auto* div = static_cast<const scalar_t*>(divisor);
    double off = label_smoothing / static_cast<double>(classes);  // smoothed target of every class
    int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(classes, 1));
    parallel_for(n, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        scalar_t* drow = d + r * classes;
        const scalar_t* row = x + r * classes;
        int64_t t = target[r];
        if (t == ignore_index) {
          std::fill(drow, drow + classes, scalar_t(0));
          continue;
        }
        const scalar_t up = div ? scalar_t(g[r * grad_stride] / div[0]) : g[r * grad_stride];
        double k = static_cast<double>(up);
        double l = lse[r];
        if (fast_backward_row(drow, row, classes, t, l, k, off, label_smoothing)) continue;
        for (int64_t c = 0; c < classes; ++c) {
          double p = std::exp(static_cast<double>(row[c]) - l);
          drow[c] = static_cast<scalar_t>(cross_entropy_grad(p, c == t, label_smoothing, off, k));
        }
      }
    });
  });
}

void cross_entropy_mean(DType dtype, void* loss, void* divisor, const int64_t* target, int64_t n,
                        int64_t ignore_index) {
  int64_t kept = 0;
  for (int64_t r = 0; r < n; ++r) kept += target[r] != ignore_index;
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy_mean", [&] {
    const auto count = static_cast<scalar_t>(kept);
    auto* l = static_cast<scalar_t*>(loss);
    l[0] = l[0] / count;
    *static_cast<scalar_t*>(divisor) = count > scalar_t(1) ? count : scalar_t(1);
  });
}

namespace {
// out[i] = f(x[i], t[i]) in parallel chunks.
template <typename T, typename F>
void apply(F f, T* out, const T* x, const T* t, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = f(x[i], t[i]);
  });
}
}  // namespace

void pointwise_loss(PointwiseLoss kind, double param, DType dtype, void* out, const void* x, const void* t,
                    int64_t n) {
  EMBER_DISPATCH_FLOATING(dtype, "loss", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    auto* b = static_cast<const scalar_t*>(t);
    with_pointwise_loss(kind, param, [&](auto f) { apply(f, o, a, b, n); });
  });
}

}  // namespace ember::kernels::cpu
