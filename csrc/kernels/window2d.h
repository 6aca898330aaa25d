// The geometry that conv2d's im2col/col2im (kernels/conv.h) and the 2-D pools (kernels/pool.h)
// share: planes of H x W, a kh x kw window moved by (sh, sw) with dilation (dh, dw), the input
// padded by (ph, pw) before the first row and column, and an OH x OW output already computed by
// the op (ops/conv.cpp, ops/pool.cpp), which is where the padding after the last row lives (a
// 'same' conv pads one more at the end than at the start). The window maths used by both twins
// is here, callable from host and device code.
#pragma once
#include <cstdint>

#ifdef __CUDACC__
#define EMBER_WINDOW_HD __host__ __device__
#else
#define EMBER_WINDOW_HD
#endif

namespace ember::kernels {

struct Window2d {
  int64_t planes;  // N * C: each plane is an independent H x W image
  int64_t H, W, OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// One avg_pool2d window (PyTorch's rule): [h0, h1) x [w0, w1) clipped to the image, and what the
// sum is divided by: divisor_override if nonzero, else the window's area counting the padding (but
// never past H + ph, so a ceil_mode window hanging off the end counts less) when
// count_include_pad, else the area of the clipped window.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

EMBER_WINDOW_HD inline AvgWindow avg_window(const Window2d& g, int64_t oh, int64_t ow, bool count_include_pad,
                                            int64_t divisor_override) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = h0 + g.kh < g.H + g.ph ? h0 + g.kh : g.H + g.ph;
  int64_t w1 = w0 + g.kw < g.W + g.pw ? w0 + g.kw : g.W + g.pw;
  const int64_t padded_area = (h1 - h0) * (w1 - w0);
  h0 = h0 > 0 ? h0 : 0;
  w0 = w0 > 0 ? w0 : 0;
  h1 = h1 < g.H ? h1 : g.H;
  w1 = w1 < g.W ? w1 : g.W;
  int64_t divisor = divisor_override != 0 ? divisor_override
                    : count_include_pad  ? padded_area
                                         : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor != 0 ? divisor : 1};
}

// adaptive_avg_pool2d's windows: output i of n over an input of length len covers
// [floor(i * len / n), ceil((i + 1) * len / n)), so windows may overlap by one when n does not
// divide len (PyTorch's start_index / end_index).
EMBER_WINDOW_HD inline int64_t adaptive_start(int64_t i, int64_t n, int64_t len) { return (i * len) / n; }
EMBER_WINDOW_HD inline int64_t adaptive_end(int64_t i, int64_t n, int64_t len) {
  return ((i + 1) * len + n - 1) / n;
}

}  // namespace ember::kernels
