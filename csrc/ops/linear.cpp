// Note [Fused linear]
// F.linear(x, W, b) is one op: the output is pre-filled with the broadcast bias and the GEMM
// accumulates x @ W^T into it (beta = 1), so the bias costs no extra pass. linear_relu runs the
// GEMM with beta = 0 and then one epilogue pass over the output that adds the bias and clamps at
// 0 together. W is read in place through the GEMM's transpose flag (no W^T copy). The backward
// formulas are ember ops (matmul, sum, where), so double backward works:
//   g' = g * [not y <= 0] (linear_relu only; 1 at NaN, as ReLU's);  dx = g' W;  dW = g'^T x;  db = sum over rows of g'.
#include "autograd/function_node.h"
#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

void check_linear(const char* op, const Tensor& x, const Tensor& w, const Tensor& b) {
  check_same_device(op, x, w);
  EMBER_CHECK(x.dim() >= 1, Runtime, "[", op, "] input must have at least 1 dimension, got a 0-D tensor");
  EMBER_CHECK(w.dim() == 2, Runtime, "[", op, "] weight must be a 2-D (out_features, in_features) matrix, got shape ",
              shape_str(w.sizes()));
  EMBER_CHECK(x.dtype() == w.dtype(), Runtime, "[", op, "] mat1 and mat2 must have the same dtype, but got ",
              dtype_name(x.dtype()), " and ", dtype_name(w.dtype()));
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[", op, "] not implemented for ", dtype_name(x.dtype()));
  int64_t M = x.dim() == 1 ? 1 : x.numel() / std::max<int64_t>(x.size(-1), 1);
  EMBER_CHECK(x.size(-1) == w.size(1), Runtime, "[", op, "] mat1 and mat2 shapes cannot be multiplied (", M, "x",
              x.size(-1), " and ", w.size(1), "x", w.size(0), ")");
  if (b.defined()) {
    check_same_device(op, x, b);
    EMBER_CHECK(b.dtype() == x.dtype(), Runtime, "[", op, "] bias must have the dtype of the input (",
                dtype_name(x.dtype()), "), got ", dtype_name(b.dtype()));
    EMBER_CHECK(b.dim() == 1 && b.size(0) == w.size(0), Runtime, "[", op, "] bias must have shape (",
                w.size(0), ",) to match weight ", shape_str(w.sizes()), ", got ", shape_str(b.sizes()));
  }
}

// out (M, N) = [bias +] x2d (M, K) @ w^T, then the ReLU epilogue when `relu`.
void run_linear(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b, bool relu) {
  int64_t K = w.size(1), N = w.size(0), M = out.numel() / std::max<int64_t>(N, 1);
  // x: rows of K (a 2-D transposed view is read in place too); w: (N, K) read as op(B) = w^T.
  Tensor xc = x;
  bool ta = false;
  int64_t lda = K;
  if (x.dim() == 2 && x.strides()[1] != 1 && (x.strides()[0] == 1 || M == 1)) {
    ta = true;
    lda = x.strides()[1];
  } else if (!x.is_contiguous()) {
    xc = contiguous_clone(x);
  }
  Tensor wc = w;
  bool tb = true;
  int64_t ldb = w.strides()[0];
  if (w.strides()[1] != 1 && K > 1) {
    if (w.strides()[0] == 1 || N == 1) {
      tb = false;
      ldb = w.strides()[1];
    } else {
      wc = contiguous_clone(w);
      ldb = K;
    }
  }
  if (N == 1 && tb) ldb = K;  // a single row: any leading dimension reads the same elements
  if (M == 1 && ta) lda = std::max<int64_t>(lda, 1);
  Tensor bc = b.defined() ? contiguous(b) : Tensor();
  EMBER_DISPATCH_KERNEL(out.device(), linear_gemm, out.dtype(), ta, tb, M, N, K, xc.raw_data(), lda, wc.raw_data(), ldb,
                        bc.defined() ? bc.raw_data() : nullptr, relu, out.raw_data());
}

Tensor linear_impl(const char* op, const char* node, const Tensor& x, const Tensor& w, const Tensor& b, bool relu) {
  check_linear(op, x, w, b);
  Shape out_shape(x.sizes().begin(), x.sizes().end() - 1);
  out_shape.push_back(w.size(0));
  Tensor y = empty(out_shape, x.dtype(), x.device());
  run_linear(y, x, w, b, relu);
  if (autograd::needs_grad({&x, &w, &b})) {
    Shape x_shape = x.sizes();
    int64_t K = w.size(1), N = w.size(0), M = shape_numel(Shape(out_shape.begin(), out_shape.end() - 1));
    autograd::record(node, {y}, {x, w, b}, {x, w, relu ? y : Tensor()},
                     [x_shape, M, K, N, relu](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &w = c.saved[1];
      Tensor g = c.grad();
      if (relu) g = relu_backward(g, c.saved[2]);  // as ReluBackward0
      Tensor g2 = reshape(g, {M, N});
      Tensor dx, dw, db;
      if (c.needs[0]) dx = reshape(mm(g2, w), x_shape);
      if (c.needs[1]) dw = mm(t(g2), reshape(x, {M, K}));
      if (c.needs[2]) db = sum(g2, {0}, false);
      return {dx, dw, db};
    });
  }
  return y;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  return linear_impl("linear", "LinearBackward0", x, weight, bias, false);
}

Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  return linear_impl("linear_relu", "LinearReluBackward0", x, weight, bias, true);
}

}  // namespace ember
