// Emulated checks of kernels/cuda/conv.cu and kernels/cuda/pool.cu against their CPU twins
// (kernels/cpu/conv.cpp, kernels/cpu/pool.cpp): im2col / col2im and every pool, forward and
// backward, over odd sizes, padding (uneven for a 'same' conv), stride, dilation, ceil_mode
// windows hanging off the end, count_include_pad, divisor_override, adaptive windows that
// overlap (sizes that do not divide) or repeat (output larger than input). The shapes are large
// enough that the 3-block grid cap makes every grid-stride loop go round more than once. Max pool
// is compared exactly (values and indices) on inputs with ties, NaNs and -inf.
#include <cmath>
#include <limits>

#include "harness_common.h"
#include "kernels/conv.h"
#include "kernels/pool.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
namespace kcpu = ember::kernels::cpu;
using ember::DType;
using ember::kernels::Window2d;

namespace {

struct Geo {
  int64_t planes, H, W, kh, kw, sh, sw, ph, pw, dh, dw, pad_after_h, pad_after_w;
};

// Conv geometries: OH from the padding on both sides (pad_after may exceed pad_before, as 'same').
const std::vector<Geo> kConvGeos = {
    {6, 13, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  {5, 9, 10, 3, 2, 2, 1, 1, 2, 1, 2, 1, 2},
    {4, 7, 8, 4, 2, 1, 1, 1, 0, 1, 1, 2, 1},    {3, 12, 9, 3, 3, 3, 2, 2, 0, 2, 3, 2, 0},
    {7, 5, 3, 5, 3, 1, 1, 0, 0, 1, 1, 0, 0},    {9, 6, 7, 1, 1, 2, 2, 0, 0, 1, 1, 0, 0},
    {2, 17, 19, 5, 4, 2, 3, 2, 1, 1, 2, 2, 3},
};

Window2d conv_window(const Geo& g) {
  const int64_t OH = (g.H + g.ph + g.pad_after_h - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  const int64_t OW = (g.W + g.pw + g.pad_after_w - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  return {g.planes, g.H, g.W, OH, OW, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw};
}

int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  int64_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = num / stride + 1;  // num >= 0 for every geometry below
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Pool geometries (pad <= k / 2; dilation only used by max pool).
const std::vector<Geo> kPoolGeos = {
    {6, 13, 11, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0}, {5, 9, 10, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0},
    {4, 9, 10, 3, 2, 2, 1, 1, 1, 1, 2, 0, 0},  {3, 7, 8, 3, 3, 1, 1, 1, 1, 2, 2, 0, 0},
    {8, 7, 6, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0},   {2, 10, 9, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0},
};

Window2d pool_window(const Geo& g, bool ceil_mode, bool dilated) {
  const int64_t dh = dilated ? g.dh : 1, dw = dilated ? g.dw : 1;
  return {g.planes, g.H, g.W, pool_out(g.H, g.kh, g.ph, g.sh, dh, ceil_mode), pool_out(g.W, g.kw, g.pw, g.sw, dw, ceil_mode),
          g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, dh, dw};
}

template <class T>
void compare(const Vec<T>& got, const Vec<T>& want, const std::string& what) {
  for (size_t i = 0; i < want.size(); ++i)
    expect_close(double(got[i]), double(want[i]), tol_of<T>(), tol_of<T>(), what + fmt(" at %lld", (long long)i));
}

template <class T>
void check_im2col_col2im() {
  const DType dt = ember::dtype_of<T>::value;
  int case_id = 0;
  for (const Geo& geo : kConvGeos) {
    const Window2d g = conv_window(geo);
    const int64_t nx = g.planes * g.H * g.W, nc = g.planes * g.kh * g.kw * g.OH * g.OW;
    auto x = random_values<T>(nx, 100 + case_id);
    Vec<T> got(nc, T(77)), want(nc, T(-77));
    kc::im2col(dt, x.data(), got.data(), g);
    kcpu::im2col(dt, x.data(), want.data(), g);
    compare(got, want, fmt("im2col case %lld", case_id));
    auto cols = random_values<T>(nc, 200 + case_id);
    Vec<T> gx(nx, T(77)), wx(nx, T(-77));
    kc::col2im(dt, cols.data(), gx.data(), g);
    kcpu::col2im(dt, cols.data(), wx.data(), g);
    compare(gx, wx, fmt("col2im case %lld", case_id));
    ++case_id;
  }
}

template <class T>
void check_max_pool() {
  const DType dt = ember::dtype_of<T>::value;
  int case_id = 0;
  for (const Geo& geo : kPoolGeos)
    for (bool ceil_mode : {false, true}) {
      const Window2d g = pool_window(geo, ceil_mode, true);
      const int64_t nx = g.planes * g.H * g.W, no = g.planes * g.OH * g.OW;
      auto x = random_values<T>(nx, 300 + case_id);
      for (int64_t i = 0; i < nx; ++i) {
        x[i] = std::round(x[i]);  // many ties
        if (i % 17 == 3) x[i] = std::numeric_limits<T>::quiet_NaN();
        if (i % 13 == 5) x[i] = -std::numeric_limits<T>::infinity();
      }
      Vec<T> got(no, T(77)), want(no, T(-77));
      Vec<int64_t> gi(no, 77), wi(no, -77);
      kc::max_pool2d(dt, x.data(), got.data(), gi.data(), g);
      kcpu::max_pool2d(dt, x.data(), want.data(), wi.data(), g);
      for (int64_t i = 0; i < no; ++i) {
        expect(gi[i] == wi[i], fmt("max_pool2d index case %lld at %lld: %lld", case_id, i, gi[i]) +
                                   fmt(" want %lld", wi[i]));
        expect_close(double(got[i]), double(want[i]), 0, 0, fmt("max_pool2d value case %lld at %lld", case_id, i));
      }
      ++case_id;
    }
}

template <class T>
void check_avg_pool() {
  const DType dt = ember::dtype_of<T>::value;
  int case_id = 0;
  for (const Geo& geo : kPoolGeos)
    for (bool ceil_mode : {false, true})
      for (bool include_pad : {true, false})
        for (int64_t divisor : {int64_t(0), int64_t(3)}) {
          const Window2d g = pool_window(geo, ceil_mode, false);
          const int64_t nx = g.planes * g.H * g.W, no = g.planes * g.OH * g.OW;
          auto x = random_values<T>(nx, 400 + case_id);
          Vec<T> got(no, T(77)), want(no, T(-77));
          kc::avg_pool2d(dt, x.data(), got.data(), g, include_pad, divisor);
          kcpu::avg_pool2d(dt, x.data(), want.data(), g, include_pad, divisor);
          compare(got, want, fmt("avg_pool2d case %lld", case_id));
          auto go = random_values<T>(no, 500 + case_id);
          Vec<T> gx(nx, T(77)), wx(nx, T(-77));
          kc::avg_pool2d_backward(dt, go.data(), gx.data(), g, include_pad, divisor);
          kcpu::avg_pool2d_backward(dt, go.data(), wx.data(), g, include_pad, divisor);
          compare(gx, wx, fmt("avg_pool2d_backward case %lld", case_id));
          ++case_id;
        }
}

template <class T>
void check_adaptive() {
  const DType dt = ember::dtype_of<T>::value;
  // (planes, H, W, OH, OW): dividing, overlapping windows, more outputs than inputs, 1x1.
  const std::vector<std::array<int64_t, 5>> shapes = {{6, 8, 8, 4, 4}, {5, 7, 9, 3, 4}, {4, 4, 5, 10, 11},
                                                      {9, 13, 11, 1, 1}, {3, 17, 6, 5, 6}, {2, 5, 5, 0, 2}};
  int case_id = 0;
  for (auto [planes, H, W, OH, OW] : shapes) {
    const Window2d g{planes, H, W, OH, OW, 1, 1, 1, 1, 0, 0, 1, 1};
    const int64_t nx = planes * H * W, no = planes * OH * OW;
    auto x = random_values<T>(nx, 600 + case_id);
    Vec<T> got(no, T(77)), want(no, T(-77));
    kc::adaptive_avg_pool2d(dt, x.data(), got.data(), g);
    kcpu::adaptive_avg_pool2d(dt, x.data(), want.data(), g);
    compare(got, want, fmt("adaptive_avg_pool2d case %lld", case_id));
    if (no > 0) {
      auto go = random_values<T>(no, 700 + case_id);
      Vec<T> gx(nx, T(77)), wx(nx, T(-77));
      kc::adaptive_avg_pool2d_backward(dt, go.data(), gx.data(), g);
      kcpu::adaptive_avg_pool2d_backward(dt, go.data(), wx.data(), g);
      compare(gx, wx, fmt("adaptive_avg_pool2d_backward case %lld", case_id));
    }
    ++case_id;
  }
}

}  // namespace

void test_conv() {
  check_im2col_col2im<float>();
  check_im2col_col2im<double>();
  check_max_pool<float>();
  check_max_pool<double>();
  check_avg_pool<float>();
  check_avg_pool<double>();
  check_adaptive<float>();
  check_adaptive<double>();
}
