#include "kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {

// Planes are independent (each output and each gradient element belongs to one), so every
// kernel here is a parallel loop over planes; `work` is the elements one plane touches.
template <typename F>
void for_planes(const Window2d& g, int64_t work, F&& f) {
  parallel_for(g.planes, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work, 1)),
               [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) f(p);
  });
}

}  // namespace

void max_pool2d(DType dtype, const void* x, void* out, int64_t* indices, const Window2d& g) {
  EMBER_DISPATCH_FLOATING(dtype, "max_pool2d", [&] {
    const auto* in = static_cast<const scalar_t*>(x);
    auto* o = static_cast<scalar_t*>(out);
    for_planes(g, g.OH * g.OW * g.kh * g.kw, [&, g](int64_t p) {
      // The sizes as locals: the int64 stores to `indices` could alias a Window2d's fields, and
      // the compiler would reload them after each store.
      const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw;
      const int64_t ph = g.ph, pw = g.pw, dh = g.dh, dw = g.dw;
      const scalar_t* plane = in + p * H * W;
      scalar_t* op = o + p * OH * OW;
      int64_t* ip = indices + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          // Note [Max pool NaN and ties] (PyTorch's loop): the first in-image element is the
          // index when nothing beats -inf; a strictly larger value or any NaN takes over (so the
          // first maximum wins a tie, and the last NaN wins over everything).
          int64_t h0 = oh * sh - ph, w0 = ow * sw - pw;
          const int64_t h1 = std::min(h0 + (kh - 1) * dh + 1, H), w1 = std::min(w0 + (kw - 1) * dw + 1, W);
          while (h0 < 0) h0 += dh;
          while (w0 < 0) w0 += dw;
          int64_t best = h0 * W + w0;
          scalar_t m = -std::numeric_limits<scalar_t>::infinity();
          for (int64_t h = h0; h < h1; h += dh)
            for (int64_t w = w0; w < w1; w += dw) {
              const scalar_t v = plane[h * W + w];
              if (v > m || v != v) {
                m = v;
                best = h * W + w;
              }
            }
          op[oh * OW + ow] = m;
          ip[oh * OW + ow] = best;
        }
    });
  });
}

void avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g, bool count_include_pad,
                int64_t divisor_override) {
  EMBER_DISPATCH_FLOATING(dtype, "avg_pool2d", [&] {
    const auto* in = static_cast<const scalar_t*>(x);
    auto* o = static_cast<scalar_t*>(out);
    const int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
    for_planes(g, OHW * g.kh * g.kw, [&](int64_t p) {
      const scalar_t* plane = in + p * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const AvgWindow a = avg_window(g, oh, ow, count_include_pad, divisor_override);
          double s = 0;
          for (int64_t h = a.h0; h < a.h1; ++h)
            for (int64_t w = a.w0; w < a.w1; ++w) s += static_cast<double>(plane[h * g.W + w]);
          o[p * OHW + oh * g.OW + ow] = static_cast<scalar_t>(s / static_cast<double>(a.divisor));
        }
    });
  });
}

void avg_pool2d_backward(DType dtype, const void* gout, void* gx, const Window2d& g, bool count_include_pad,
                         int64_t divisor_override) {
  EMBER_DISPATCH_FLOATING(dtype, "avg_pool2d_backward", [&] {
    const auto* go = static_cast<const scalar_t*>(gout);
    auto* gi = static_cast<scalar_t*>(gx);
    const int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
    for_planes(g, OHW * g.kh * g.kw + HW, [&](int64_t p) {
      scalar_t* plane = gi + p * HW;
      std::fill(plane, plane + HW, scalar_t(0));
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const AvgWindow a = avg_window(g, oh, ow, count_include_pad, divisor_override);
          const scalar_t share = go[p * OHW + oh * g.OW + ow] / static_cast<scalar_t>(a.divisor);
          for (int64_t h = a.h0; h < a.h1; ++h)
            for (int64_t w = a.w0; w < a.w1; ++w) plane[h * g.W + w] += share;
        }
    });
  });
}

void adaptive_avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g) {
  EMBER_DISPATCH_FLOATING(dtype, "adaptive_avg_pool2d", [&] {
    const auto* in = static_cast<const scalar_t*>(x);
    auto* o = static_cast<scalar_t*>(out);
    const int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
    for_planes(g, HW + OHW, [&](int64_t p) {
      const scalar_t* plane = in + p * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
          double s = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) s += static_cast<double>(plane[h * g.W + w]);
          o[p * OHW + oh * g.OW + ow] = static_cast<scalar_t>(s / static_cast<double>((h1 - h0) * (w1 - w0)));
        }
      }
    });
  });
}

void adaptive_avg_pool2d_backward(DType dtype, const void* gout, void* gx, const Window2d& g) {
  EMBER_DISPATCH_FLOATING(dtype, "adaptive_avg_pool2d_backward", [&] {
    const auto* go = static_cast<const scalar_t*>(gout);
    auto* gi = static_cast<scalar_t*>(gx);
    const int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
    for_planes(g, HW + OHW, [&](int64_t p) {
      scalar_t* plane = gi + p * HW;
      std::fill(plane, plane + HW, scalar_t(0));
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
          const scalar_t share = go[p * OHW + oh * g.OW + ow] / static_cast<scalar_t>((h1 - h0) * (w1 - w0));
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) plane[h * g.W + w] += share;
        }
      }
    });
  });
}

}  // namespace ember::kernels::cpu
