// Note [Conv2d as im2col + GEMM]
// conv2d(x, W) with x (N, C, H, W) and W (OC, C/G, kh, kw) unrolls every window of x into a
// column (im2col: cols (N, C*kh*kw, OH*OW)), and the convolution is then one batched matmul:
//   out[n] = W2 @ cols[n],  W2 = W viewed as (OC, C*kh*kw);  groups G: (G, OC/G, C/G*kh*kw) @
//   cols viewed (N, G, C/G*kh*kw, OH*OW), so every group's product is one matrix of the batch.
// im2col is an op here whose backward is col2im (its adjoint: the sum of each column entry back
// into the pixel it was read from) and col2im's backward is im2col, so with matmul's backward
// the whole conv backward is ember ops and double backward (create_graph=True) works:
//   dcols = W2^T @ G,  dx = col2im(dcols);  dW2 = sum_n G[n] @ cols[n]^T;  db = sum of G over (n, h, w).
// A 1x1 kernel with stride 1 and no padding needs no im2col: cols is x itself, viewed.
#include <sstream>

#include "autograd/function_node.h"
#include "kernels/conv.h"
#include "kernels/dispatch.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;
using kernels::Window2d;

namespace {

// PyTorch's spelling of shapes and dtypes in conv errors: [1, 3, 8, 8], float / double.
std::string dims(const Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

const char* c_type_name(DType d) {
  switch (d) {
    case DType::Float32: return "float";
    case DType::Float64: return "double";
    case DType::Int64: return "long";
    case DType::Int32: return "int";
    default: return "bool";
  }
}

Tensor col2im_op(const Tensor& cols, const Window2d& g, const Shape& x_shape);

// x (N, C, H, W) -> cols (N, C*kh*kw, OH*OW); g.planes is N*C.
Tensor im2col_op(const Tensor& x, const Window2d& g) {
  Tensor src = x.is_contiguous() ? x : contiguous_clone(x);
  Tensor cols = empty({x.size(0), x.size(1) * g.kh * g.kw, g.OH * g.OW}, x.dtype(), x.device());
  if (cols.numel() > 0) EMBER_DISPATCH_KERNEL(cols.device(), im2col, x.dtype(), src.raw_data(), cols.raw_data(), g);
  if (autograd::needs_grad(x)) {
    Shape x_shape = x.sizes();
    autograd::record("Im2ColBackward0", {cols}, {x}, {}, [g, x_shape](const BackwardArgs& c) -> tensor_list {
      return {col2im_op(c.grad(), g, x_shape)};  // the adjoint of im2col
    });
  }
  return cols;
}

Tensor col2im_op(const Tensor& cols, const Window2d& g, const Shape& x_shape) {
  Tensor src = cols.is_contiguous() ? cols : contiguous_clone(cols);
  Tensor x = empty(x_shape, cols.dtype(), cols.device());
  if (x.numel() > 0) EMBER_DISPATCH_KERNEL(x.device(), col2im, cols.dtype(), src.raw_data(), x.raw_data(), g);
  if (autograd::needs_grad(cols)) {
    autograd::record("Col2ImBackward0", {x}, {cols}, {}, [g](const BackwardArgs& c) -> tensor_list {
      return {im2col_op(c.grad(), g)};  // col2im is linear; its adjoint is im2col
    });
  }
  return x;
}

void check_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Int2 stride, Int2 pb, Int2 pa, Int2 dilation,
                  int64_t groups) {
  EMBER_CHECK(groups > 0, Runtime, "[conv2d] non-positive groups is not supported");
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, Runtime,
              "[conv2d] Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
              dims(x.sizes()));
  EMBER_CHECK(stride[0] > 0 && stride[1] > 0, Runtime, "[conv2d] non-positive stride is not supported");
  EMBER_CHECK(pb[0] >= 0 && pb[1] >= 0 && pa[0] >= 0 && pa[1] >= 0, Runtime,
              "[conv2d] negative padding is not supported");
  EMBER_CHECK(dilation[0] > 0 && dilation[1] > 0, Runtime, "[conv2d] dilation should be greater than zero, but got [",
              dilation[0], ", ", dilation[1], "]");
  check_same_device("conv2d", x, w);
  if (b.defined()) check_same_device("conv2d", x, b);
  Shape xs = x.sizes();
  if (x.dim() == 3) xs.insert(xs.begin(), 1);
  EMBER_CHECK(w.dim() == 4, Runtime, "[conv2d] Expected 4-dimensional weight for 4-dimensional input ", dims(xs),
              ", but got ", w.dim(), "-dimensional weight of size ", dims(w.sizes()), " instead");
  EMBER_CHECK(w.size(0) >= 1, Runtime, "[conv2d] Given groups=", groups,
              ", expected weight to be at least 1 at dimension 0, but got weight of size ", dims(w.sizes()), " instead");
  EMBER_CHECK(w.size(2) > 0 && w.size(3) > 0, Runtime,
              "[conv2d] kernel size should be greater than zero, but got kernel_height: ", w.size(2),
              " kernel_width: ", w.size(3));
  EMBER_CHECK(x.dtype() == w.dtype(), Runtime, "[conv2d] Input type (", c_type_name(x.dtype()), ") and weight type (",
              c_type_name(w.dtype()), ") should be the same");
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[conv2d] not implemented for ", dtype_name(x.dtype()));
  EMBER_CHECK(w.size(0) % groups == 0, Runtime, "[conv2d] Given groups=", groups,
              ", expected weight to be divisible by ", groups, " at dimension 0, but got weight of size ",
              dims(w.sizes()), " instead");
  EMBER_CHECK(xs[1] == w.size(1) * groups, Runtime, "[conv2d] Given groups=", groups, ", weight of size ",
              dims(w.sizes()), ", expected input", dims(xs), " to have ", w.size(1) * groups,
              " channels, but got ", xs[1], " channels instead");
  if (b.defined()) {
    EMBER_CHECK(b.dtype() == x.dtype(), Runtime, "[conv2d] Input type (", c_type_name(x.dtype()), ") and bias type (",
                c_type_name(b.dtype()), ") should be the same");
    EMBER_CHECK(b.dim() == 1 && b.size(0) == w.size(0), Runtime, "[conv2d] Given weight of size ", dims(w.sizes()),
                ", expected bias to be 1-dimensional with ", w.size(0), " elements, but got bias of size ",
                dims(b.sizes()), " instead");
  }
  const int64_t ph = xs[2] + pb[0] + pa[0], pw = xs[3] + pb[1] + pa[1];
  const int64_t kh = dilation[0] * (w.size(2) - 1) + 1, kw = dilation[1] * (w.size(3) - 1) + 1;
  EMBER_CHECK(ph >= kh && pw >= kw, Runtime, "[conv2d] Calculated padded input size per channel: (", ph, " x ", pw,
              "). Kernel size: (", kh, " x ", kw, "). Kernel size can't be greater than actual input size");
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Int2 stride, Int2 pad_before, Int2 pad_after,
              Int2 dilation, int64_t groups) {
  check_conv2d(x, w, b, stride, pad_before, pad_after, dilation, groups);
  const bool batched = x.dim() == 4;
  Tensor x4 = batched ? x : unsqueeze(x, 0);
  const int64_t N = x4.size(0), C = x4.size(1), H = x4.size(2), W = x4.size(3);
  const int64_t OC = w.size(0), kh = w.size(2), kw = w.size(3), G = groups;
  const int64_t OH = (H + pad_before[0] + pad_after[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
  const int64_t OW = (W + pad_before[1] + pad_after[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
  const Window2d g{N * C, H, W, OH, OW, kh, kw, stride[0], stride[1], pad_before[0], pad_before[1],
                   dilation[0], dilation[1]};
  const bool pointwise = kh == 1 && kw == 1 && stride == Int2{1, 1} && pad_before == Int2{0, 0} &&
                         pad_after == Int2{0, 0};
  Tensor cols = pointwise ? reshape(x4, {N, C, H * W}) : im2col_op(x4, g);  // (N, C*kh*kw, L)
  const int64_t ck = (C / G) * kh * kw;
  Tensor out = G == 1 ? matmul(reshape(w, {OC, ck}), cols)
                      : matmul(reshape(w, {G, OC / G, ck}), reshape(cols, {N, G, ck, OH * OW}));
  out = reshape(out, {N, OC, OH, OW});
  if (b.defined()) out = out + reshape(b, {1, OC, 1, 1});
  return batched ? out : squeeze(out, 0);
}

}  // namespace ember
