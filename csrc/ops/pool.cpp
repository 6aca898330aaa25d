// max_pool2d, avg_pool2d and adaptive_avg_pool2d over (N, C, H, W) or (C, H, W) inputs: every
// leading dim is a plane of the kernels (kernels/pool.h). PyTorch's shape rules and checks
// (pool2d_shape_check): output sizes from pooling_out below, pad at most half the kernel.
//
// Backward formulas, all in ember ops or in op pairs that are each other's backward, so double
// backward works:
//   max:      dx = scatter_add(zeros, indices, g) per plane (the max's position takes all of g;
//             scatter_add's own backward is gather);
//   avg:      dx = avg_pool2d_backward(g): each output's g / divisor spread over its window; that
//             map is linear and its adjoint is avg_pool2d itself, so their backwards are each other;
//   adaptive: the same pair with the adaptive windows.
#include <algorithm>

#include "autograd/function_node.h"
#include "kernels/dispatch.h"
#include "kernels/pool.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;
using kernels::Window2d;

namespace {

int64_t div_floor(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// PyTorch's pooling_output_shape: a ceil_mode window must start inside the image or the
// leading padding, never wholly in the trailing padding.
int64_t pooling_out(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t out = div_floor(in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

void check_pool_input(const char* op, const Tensor& x) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, Runtime, "[", op,
              "] Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ",
              shape_str(x.sizes()));
  for (int64_t d = x.dim() - 3; d < x.dim(); ++d)
    EMBER_CHECK(x.size(d) > 0, Runtime, "[", op,
                "] Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: ",
                shape_str(x.sizes()));
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[", op, "] not implemented for ", dtype_name(x.dtype()));
}

// The checked geometry of a max/avg pool (dilation 1 for avg).
Window2d pool_window(const char* op, const Tensor& x, Int2 k, Int2 s, Int2 p, Int2 d, bool ceil_mode) {
  check_pool_input(op, x);
  EMBER_CHECK(k[0] > 0 && k[1] > 0, Runtime, "[", op, "] kernel size should be greater than zero, but got kH: ",
              k[0], " kW: ", k[1]);
  EMBER_CHECK(s[0] > 0 && s[1] > 0, Runtime, "[", op, "] stride should not be zero (got stride=(", s[0], ", ",
              s[1], "))");
  EMBER_CHECK(d[0] > 0 && d[1] > 0, Runtime, "[", op, "] dilation should be greater than zero, but got dilationH: ",
              d[0], " dilationW: ", d[1]);
  EMBER_CHECK(p[0] >= 0 && p[1] >= 0, Runtime, "[", op, "] pad must be non-negative, but got pad=(", p[0], ", ",
              p[1], ")");
  for (int i = 0; i < 2; ++i)
    EMBER_CHECK(p[i] <= k[i] / 2, Runtime, "[", op,
                "] pad should be at most half of effective kernel size, but got pad=", p[i], ", kernel_size=", k[i],
                " and dilation=", d[i]);
  const int64_t H = x.size(-2), W = x.size(-1), C = x.size(-3);
  const int64_t OH = pooling_out(H, k[0], p[0], s[0], d[0], ceil_mode);
  const int64_t OW = pooling_out(W, k[1], p[1], s[1], d[1], ceil_mode);
  EMBER_CHECK(OH >= 1 && OW >= 1, Runtime, "[", op, "] Given input size: (", C, "x", H, "x", W,
              "). Calculated output size: (", C, "x", OH, "x", OW, "). Output size is too small");
  return {x.numel() / (H * W), H, W, OH, OW, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]};
}

Shape with_plane(const Shape& lead, int64_t h, int64_t w) {
  Shape s(lead.begin(), lead.end() - 2);
  s.insert(s.end(), {h, w});
  return s;
}

Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : contiguous_clone(t); }

// Note [Average pools as an adjoint pair]
// avg_pool2d and adaptive_avg_pool2d are linear maps A; their input gradient is A^T g, itself
// linear with adjoint A. pool_apply runs A and records A^T as its backward; pool_adjoint runs A^T
// and records A as its backward; so gradients of any order stay inside this pair.
struct AvgPool {
  Window2d g;
  bool adaptive, count_include_pad;
  int64_t divisor_override;  // 0: none
};

Tensor pool_adjoint(const Tensor& gout, const AvgPool& a, const Shape& in_shape);

Tensor pool_apply(const Tensor& x, const AvgPool& a) {
  Tensor src = dense(x);
  Tensor out = empty(with_plane(x.sizes(), a.g.OH, a.g.OW), x.dtype(), x.device());
  if (out.numel() > 0) {
    if (a.adaptive) EMBER_DISPATCH_KERNEL(out.device(), adaptive_avg_pool2d, x.dtype(), src.raw_data(), out.raw_data(), a.g);
    else EMBER_DISPATCH_KERNEL(out.device(), avg_pool2d, x.dtype(), src.raw_data(), out.raw_data(), a.g,
                               a.count_include_pad, a.divisor_override);
  }
  if (autograd::needs_grad(x)) {
    Shape in_shape = x.sizes();
    autograd::record(a.adaptive ? "AdaptiveAvgPool2DBackward0" : "AvgPool2DBackward0", {out}, {x}, {},
                     [a, in_shape](const BackwardArgs& c) -> tensor_list { return {pool_adjoint(c.grad(), a, in_shape)}; });
  }
  return out;
}

Tensor pool_adjoint(const Tensor& gout, const AvgPool& a, const Shape& in_shape) {
  Tensor src = dense(gout);
  Tensor gx = empty(in_shape, gout.dtype(), gout.device());
  if (gx.numel() > 0) {
    if (a.adaptive) EMBER_DISPATCH_KERNEL(gx.device(), adaptive_avg_pool2d_backward, gx.dtype(), src.raw_data(),
                                          gx.raw_data(), a.g);
    else EMBER_DISPATCH_KERNEL(gx.device(), avg_pool2d_backward, gx.dtype(), src.raw_data(), gx.raw_data(), a.g,
                               a.count_include_pad, a.divisor_override);
  }
  if (autograd::needs_grad(gout)) {
    autograd::record(a.adaptive ? "AdaptiveAvgPool2DBackwardBackward0" : "AvgPool2DBackwardBackward0", {gx}, {gout},
                     {}, [a](const BackwardArgs& c) -> tensor_list { return {pool_apply(c.grad(), a)}; });
  }
  return gx;
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, Int2 kernel, Int2 stride, Int2 padding, Int2 dilation,
                                     bool ceil_mode) {
  const Window2d g = pool_window("max_pool2d", x, kernel, stride, padding, dilation, ceil_mode);
  Tensor src = dense(x);
  Shape out_shape = with_plane(x.sizes(), g.OH, g.OW);
  Tensor out = empty(out_shape, x.dtype(), x.device());
  Tensor indices = empty(out_shape, DType::Int64, x.device());
  if (out.numel() > 0)
    EMBER_DISPATCH_KERNEL(out.device(), max_pool2d, x.dtype(), src.raw_data(), out.raw_data(),
                          static_cast<int64_t*>(indices.raw_data()), g);
  if (autograd::needs_grad(x)) {
    Shape in_shape = x.sizes();
    autograd::record("MaxPool2DWithIndicesBackward0", {out}, {x}, {indices}, [g, in_shape](const BackwardArgs& c) -> tensor_list {
      // Each output's gradient goes to the position of its max (summed where windows overlap).
      const Tensor& g_out = c.grad();
      Tensor idx = reshape(c.saved[0], {g.planes, g.OH * g.OW});
      Tensor zero = zeros({g.planes, g.H * g.W}, g_out.dtype(), g_out.device());
      return {reshape(scatter_add(zero, 1, idx, reshape(g_out, {g.planes, g.OH * g.OW})), in_shape)};
    });
  }
  return {out, indices};
}

Tensor avg_pool2d(const Tensor& x, Int2 kernel, Int2 stride, Int2 padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  EMBER_CHECK(!divisor_override || *divisor_override != 0, Runtime, "[avg_pool2d] divisor must be not zero");
  const Window2d g = pool_window("avg_pool2d", x, kernel, stride, padding, {1, 1}, ceil_mode);
  return pool_apply(x, {g, false, count_include_pad, divisor_override.value_or(0)});
}

Tensor adaptive_avg_pool2d(const Tensor& x, Int2 output_size) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, Runtime, "[adaptive_avg_pool2d] Expected 3D or 4D tensor, but got ",
              shape_str(x.sizes()));
  for (int64_t d = x.dim() - 2; d < x.dim(); ++d)
    EMBER_CHECK(x.size(d) > 0, Runtime, "[adaptive_avg_pool2d] Expected input to have non-zero size for non-batch "
                "dimensions, but input has sizes ", shape_str(x.sizes()), " with dimension ", d, " being empty");
  EMBER_CHECK(output_size[0] >= 0 && output_size[1] >= 0, Runtime,
              "[adaptive_avg_pool2d] elements of output_size must be greater than or equal to 0 but received (",
              output_size[0], ", ", output_size[1], ")");
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[adaptive_avg_pool2d] not implemented for ",
              dtype_name(x.dtype()));
  const int64_t H = x.size(-2), W = x.size(-1);
  const Window2d g{x.numel() / (H * W), H, W, output_size[0], output_size[1], 1, 1, 1, 1, 0, 0, 1, 1};
  return pool_apply(x, {g, true, false, 0});
}

}  // namespace ember
