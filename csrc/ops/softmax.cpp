// softmax and log_softmax along one dim, with their backward formulas.
#include "autograd/function_node.h"
#include "kernels/dispatch.h"
#include "kernels/softmax.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

Tensor softmax_forward(const char* op, bool log, const Tensor& x, int64_t dim) {
  EMBER_CHECK(is_floating(x.dtype()), NotImplemented, "[", op, "] not implemented for ", dtype_name(x.dtype()),
              "; convert the input to a floating dtype first");
  int64_t d = wrap_dim(dim, x.dim());
  // The input as a contiguous [outer, size(d), inner] block; the kernel walks the middle axis.
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t i = 0; i < x.dim(); ++i) {
    int64_t s = x.sizes()[i];
    if (i < d) outer *= s;
    else if (i == d) len = s;
    else inner *= s;
  }
  Tensor src = x.is_contiguous() ? x : contiguous_clone(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  if (y.numel() > 0) EMBER_DISPATCH_KERNEL(y.device(), softmax, x.dtype(), log, y.raw_data(), src.raw_data(), outer,
                                           len, inner);
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  Tensor y = softmax_forward("softmax", false, x, dim);
  if (autograd::needs_grad(x)) {
    // dx = y * (g - sum(g * y, dim)): the Jacobian diag(y) - y y^T applied to g.
    autograd::record("SoftmaxBackward0", {y}, {x}, {y}, [dim](const BackwardArgs& c) -> tensor_list {
      const Tensor &y = c.saved[0], &g = c.grad();
      return {y * (g - sum(g * y, {dim}, true))};
    });
  }
  return y;
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  Tensor y = softmax_forward("log_softmax", true, x, dim);
  if (autograd::needs_grad(x)) {
    // dx = g - softmax(x) * sum(g, dim), with softmax(x) = exp(y).
    autograd::record("LogSoftmaxBackward0", {y}, {x}, {y}, [dim](const BackwardArgs& c) -> tensor_list {
      const Tensor &y = c.saved[0], &g = c.grad();
      return {g - exp(y) * sum(g, {dim}, true)};
    });
  }
  return y;
}

}  // namespace ember
