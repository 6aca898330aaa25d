// Emulated checks of kernels/cuda/loss.cu against a naive double reference: warp rows
// and block rows, label smoothing, ignore_index, rows with -inf, and bad targets (reported to the
// kernel error report, their rows left unwritten).
#include <limits>

#include "harness_common.h"
#include "kernels/loss.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
using ember::DType;

namespace {

template <class T>
void check_cross_entropy() {
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1},  {3, 5},   {17, 31}, {9, 32},
                                                           {10, 33}, {4, 300}, {2, 2048}, {3, 5000}, {5, 2049}};
  const double tol = std::is_same_v<T, float> ? 3e-5 : 1e-11;
  for (auto [n, classes] : shapes) {
    for (double eps : {0.0, 0.1}) {
      for (int pattern = 0; pattern < 3; ++pattern) {
        auto x = random_values<T>(n * classes, n * 100 + classes + pattern, 6.0);
        if (pattern == 1)
          for (int64_t i = 0; i < n * classes; ++i)
            if (i % 4 == 3) x[i] = -std::numeric_limits<T>::infinity();
        Vec<int64_t> target(n);
        const int64_t ignore = -100;
        int64_t first_bad = -1;
        for (int64_t r = 0; r < n; ++r) {
          target[r] = (r * 7 + 3) % classes;
          if (pattern == 1 && x[r * classes + target[r]] == -std::numeric_limits<T>::infinity())
            target[r] = (target[r] + 1) % classes;  // keep the loss finite
          if (r % 5 == 2) target[r] = ignore;
          if (pattern == 2 && r % 3 == 1) {
            target[r] = (r / 3 % 3 == 0) ? classes : (r / 3 % 3 == 1) ? classes + r : -1 - r;
            if (first_bad < 0) first_bad = r;
          }
        }
        reset_report();
        Vec<T> loss(n + 1, T(55));
        Vec<double> lse(n + 1, 55.0);
        kc::cross_entropy_forward(dt, loss.data(), lse.data(), x.data(), target.data(), n, classes, ignore, eps);
        auto* rep = ember::cuda::kernel_error_report(0);
        const std::string where = fmt("cross_entropy n=%lld classes=%lld pattern=%lld eps=%lld", n, classes, pattern,
                                      eps != 0.0);
        std::vector<double> want_lse(n);
        for (int64_t r = 0; r < n; ++r) {
          const T* row = x.data() + r * classes;
          double m = -INFINITY, s = 0, sum = 0;
          for (int64_t c = 0; c < classes; ++c) m = std::max(m, double(row[c]));
          for (int64_t c = 0; c < classes; ++c) s += std::exp(double(row[c]) - m), sum += double(row[c]);
          want_lse[r] = m + std::log(s);
          const int64_t t = target[r];
          expect_close(lse[r], want_lse[r], tol, tol, where + fmt(" lse row=%lld", r));
          if (t == ignore) {
            expect(loss[r] == T(0), where + fmt(" ignored row %lld not zero", r));
          } else if (t < 0 || t >= classes) {
            expect(loss[r] == T(55), where + fmt(" bad-target row %lld was written", r));
          } else {
            const double nll = want_lse[r] - double(row[t]);
            const double want = eps == 0.0 ? nll : (1 - eps) * nll + eps * (want_lse[r] - sum / double(classes));
            expect_close(double(loss[r]), want, tol, tol * 10, where + fmt(" loss row=%lld", r));
          }
        }
        if (first_bad >= 0) {
          bool is_bad_target = false;
          for (int64_t r = 0; r < n; ++r)
            if (target[r] != ignore && (target[r] < 0 || target[r] >= classes) && target[r] == rep->value)
              is_bad_target = true;
          expect(rep->flagged == 1 && is_bad_target && rep->bound == classes && rep->op != nullptr,
                 where + fmt(" report flagged=%lld value=%lld bound=%lld", rep->flagged, rep->value, rep->bound));
        } else {
          expect(rep->flagged == 0, where + " report flagged without a bad target");
        }
        for (int64_t r = 0; r < n; ++r) lse[r] = want_lse[r];  // the backward reads the true lse

        // Backward: a strided upstream gradient (grad_stride 2) divided by a mean's divisor.
        Vec<T> g(2 * n + 1);
        for (int64_t r = 0; r < 2 * n; ++r) g[r] = T(0.25 * double(r % 7) - 0.5);
        reset_report();
        Vec<T> d(n * classes + 1, T(55));
        const Vec<T> divisor(1, T(4));
        kc::cross_entropy_backward(dt, d.data(), x.data(), lse.data(), target.data(), g.data(), 2, divisor.data(), n,
                                   classes, ignore, eps);
        for (int64_t r = 0; r < n; ++r) {
          const int64_t t = target[r];
          for (int64_t c = 0; c < classes; ++c) {
            const T got = d[r * classes + c];
            const std::string w = where + fmt(" backward row=%lld class=%lld", r, c);
            if (t == ignore) {
              expect(got == T(0), w + " ignored row not zero");
            } else if (t < 0 || t >= classes) {
              expect(got == T(55), w + " bad-target row written");
            } else {
              const double p = std::exp(double(x[r * classes + c]) - lse[r]);
              const double smoothed = (c == t ? 1.0 - eps : 0.0) + eps / double(classes);
              expect_close(double(got), (p - smoothed) * double(T(g[2 * r] / T(4))), tol, tol, w);
            }
          }
        }
        expect(d[n * classes] == T(55), where + " backward wrote past the end");
        expect((first_bad >= 0) == (rep->flagged == 1), where + " backward report");
        reset_report();

        // The mean over the rows not ignored: the summed loss divided in place, and the divisor.
        Vec<T> total(1, T(6)), div(1, T(55));
        kc::cross_entropy_mean(dt, total.data(), div.data(), target.data(), n, ignore);
        int64_t kept = 0;
        for (int64_t r = 0; r < n; ++r) kept += target[r] != ignore;
        expect(kept == 0 ? std::isnan(double(total[0])) : total[0] == T(6) / T(kept), where + " mean of the loss");
        expect(div[0] == T(kept > 1 ? kept : 1), where + " mean's divisor");
      }
    }
  }
}

template <class T>
void check_pointwise_loss() {
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  for (int64_t n : {1, 255, 257, 1000}) {
    auto x = random_values<T>(n, n, 30.0);
    auto t = random_values<T>(n, n + 1, 1.0);
    using ember::kernels::PointwiseLoss;
    // Probabilities for BCE and KL targets: |t| of the [-1, 1] values, with some exact 0 and 1.
    Vec<T> p(n);
    for (int64_t i = 0; i < n; ++i) p[i] = i % 17 == 0 ? T(i % 2) : std::abs(t[i]);
    for (auto kind : {PointwiseLoss::SquaredError, PointwiseLoss::BceWithLogits, PointwiseLoss::AbsError,
                      PointwiseLoss::SmoothL1, PointwiseLoss::Huber, PointwiseLoss::Bce, PointwiseLoss::KlDiv,
                      PointwiseLoss::KlDivLogTarget}) {
      const double param = kind == PointwiseLoss::SmoothL1 ? 0.5 : 2.0;
      const bool probs = kind == PointwiseLoss::Bce;
      const Vec<T>& xs = probs ? p : x;
      const Vec<T>& ts = kind == PointwiseLoss::KlDiv || probs ? p : t;
      Vec<T> out(n + 1, T(55));
      kc::pointwise_loss(kind, param, dt, out.data(), xs.data(), ts.data(), n);
      // The reference: the same functor, element by element on the host, in double (the values
      // of each formula against PyTorch are tests/test_losses.py's job).
      ember::kernels::with_pointwise_loss(kind, param, [&](auto f) {
        for (int64_t i = 0; i < n; ++i)
          expect_close(double(out[i]), f(double(xs[i]), double(ts[i])), std::is_same_v<T, float> ? 1e-5 : 1e-12,
                       1e-6, fmt("pointwise_loss kind=%d n=%lld i=%lld", int(kind), n, i));
      });
      expect(out[n] == T(55), "pointwise_loss wrote past the end");
    }
  }
}

}  // namespace

void test_cross_entropy() {
  check_cross_entropy<float>();
  check_cross_entropy<double>();
  check_pointwise_loss<float>();
  check_pointwise_loss<double>();
}
