#include "kernels/conv.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {

// The outputs ow in [lo, hi) whose input column ow * stride + off lies in [0, W): the part of a
// row that is inside the image, so the loops over it need no bounds test.
struct Span {
  int64_t lo, hi;
};
Span inside(int64_t off, int64_t stride, int64_t W, int64_t OW) {
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int64_t lo = std::clamp<int64_t>(ceil_div(-off, stride), 0, OW);
  return {lo, std::clamp<int64_t>(ceil_div(W - off, stride), lo, OW)};
}

// One row of cols: kernel offset (i, j) of plane p, every output position. A row of the window
// grid that falls in the padding is a run of zeros; with stride 1 the in-image part of each
// output row is one memcpy.
template <typename T>
void im2col_row(const T* plane, T* row, const Window2d& g, int64_t i, int64_t j) {
  const int64_t off = j * g.dw - g.pw;  // iw = ow * sw + off
  const Span in = inside(off, g.sw, g.W, g.OW);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    T* o = row + oh * g.OW;
    const int64_t ih = oh * g.sh - g.ph + i * g.dh;
    if (ih < 0 || ih >= g.H) {
      std::fill(o, o + g.OW, T(0));
      continue;
    }
    const T* src = plane + ih * g.W;
    std::fill(o, o + in.lo, T(0));
    if (g.sw == 1) {
      if (in.hi > in.lo) std::memcpy(o + in.lo, src + in.lo + off, static_cast<size_t>(in.hi - in.lo) * sizeof(T));
    } else {
      for (int64_t ow = in.lo; ow < in.hi; ++ow) o[ow] = src[ow * g.sw + off];
    }
    std::fill(o + in.hi, o + g.OW, T(0));
  }
}

}  // namespace

void im2col(DType dtype, const void* x, void* cols, const Window2d& g) {
  EMBER_DISPATCH_FLOATING(dtype, "im2col", [&] {
    const auto* in = static_cast<const scalar_t*>(x);
    auto* out = static_cast<scalar_t*>(cols);
    const int64_t kk = g.kh * g.kw, L = g.OH * g.OW, rows = g.planes * kk;
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(L, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t p = r / kk, k = r % kk;
        im2col_row(in + p * g.H * g.W, out + r * L, g, k / g.kw, k % g.kw);
      }
    });
  });
}

void col2im(DType dtype, const void* cols, void* x, const Window2d& g) {
  EMBER_DISPATCH_FLOATING(dtype, "col2im", [&] {
    const auto* in = static_cast<const scalar_t*>(cols);
    auto* out = static_cast<scalar_t*>(x);
    const int64_t kk = g.kh * g.kw, L = g.OH * g.OW, HW = g.H * g.W;
    // A plane's sums touch only that plane, so planes run in parallel without atomics.
    parallel_for(g.planes, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(kk * L, 1)),
                 [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        scalar_t* plane = out + p * HW;
        std::fill(plane, plane + HW, scalar_t(0));
        for (int64_t k = 0; k < kk; ++k) {
          const scalar_t* row = in + (p * kk + k) * L;
          const int64_t i = k / g.kw, j = k % g.kw;
          const int64_t off = j * g.dw - g.pw;  // iw = ow * sw + off
          const Span in = inside(off, g.sw, g.W, g.OW);
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t ih = oh * g.sh - g.ph + i * g.dh;
            if (ih < 0 || ih >= g.H) continue;
            scalar_t* dst = plane + ih * g.W;
            const scalar_t* src = row + oh * g.OW;
            if (g.sw == 1) {
              for (int64_t ow = in.lo; ow < in.hi; ++ow) dst[ow + off] += src[ow];
            } else {
              for (int64_t ow = in.lo; ow < in.hi; ++ow) dst[ow * g.sw + off] += src[ow];
            }
          }
        }
      }
    });
  });
}

}  // namespace ember::kernels::cpu
