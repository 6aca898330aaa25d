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
    const int64_t HW = g.H * g.W, OHW = g.OH * g.OW;
    for_planes(g, OHW * g.kh * g.kw, [&](int64_t p) {
      const scalar_t* plane = in + p * HW;
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          // Note [Max pool NaN and ties] (PyTorch's loop): the first in-image element is the
          // index when nothing beats -inf; a strictly larger value or any NaN takes over.
          int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
          const int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.H), w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.W);
          while (h0 < 0) h0 += g.dh;
          while (w0 < 0) w0 += g.dw;
          int64_t best = h0 * g.W + w0;
          scalar_t m = -std::numeric_limits<scalar_t>::infinity();
          for (int64_t h = h0; h < h1; h += g.dh)
            for (int64_t w = w0; w < w1; w += g.dw) {
              const scalar_t v = plane[h * g.W + w];
              if (v > m || std::isnan(v)) {
                m = v;
                best = h * g.W + w;
              }
            }
          o[p * OHW + oh * g.OW + ow] = m;
          indices[p * OHW + oh * g.OW + ow] = best;
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
