// prod over every element or along one dim, with PyTorch's dtype rule and a gradient that is
// right when the input has zeros (Note [prod gradient]).
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/reduce.h"
#include "kernels/scan.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;
using kernels::ScanKind;

namespace {

// Note [prod gradient]: d prod(x) / d x_k is the product of every other element, the product of
// those before k times the product of those after k: two exclusive cumprods along the dim (an
// inclusive one shifted by one place, 1 at the edge). Unlike g * prod / x_k it needs no division,
// so zeros (one or several) need no special case, and it is differentiable again (cumprod is).
Tensor prod_of_others(const Tensor& x, int64_t dim) {
  const int64_t n = x.sizes()[dim];
  Shape edge_shape = x.sizes();
  edge_shape[dim] = 1;
  Tensor edge = ones(edge_shape, x.dtype(), x.device());
  Tensor before = cat({edge, narrow(cumulative(x, dim, ScanKind::Prod, false), dim, 0, n - 1)}, dim);
  Tensor after = cat({narrow(cumulative(x, dim, ScanKind::Prod, true), dim, 1, n - 1), edge}, dim);
  return before * after;
}

Tensor prod_impl(const char* node, const Tensor& t, const DimList& dims, bool keepdim, std::optional<DType> dtype) {
  ReducePlan plan = plan_reduction("prod", t, dims, keepdim);
  DType out_dtype = dtype ? *dtype : (is_floating(t.dtype()) ? t.dtype() : DType::Int64);
  EMBER_CHECK(out_dtype != DType::Bool, NotImplemented, "[prod] not implemented for ", dtype_name(out_dtype));
  // Note [Reducing stride-0 dims]: n repeats of each value multiply to the n-th power of their
  // product (exactly, wrapping, for integers; rounded once for floats, where PyTorch multiplies the
  // copies one by one, so the last bits may differ as a sum's do).
  Stride0Narrowed s = narrow_stride0(t, plan);
  Tensor out = empty(s.plan.out, out_dtype, t.device());
  if (out.numel() > 0) {
    autograd::AutoGradMode no_grad(false);
    Tensor block = kept_then_reduced(to_dtype(s.distinct, out_dtype), s.plan);
    EMBER_DISPATCH_KERNEL(out.device(), prod_last_axis, out_dtype, out.raw_data(), block.raw_data(), s.plan.outer,
                          s.plan.inner);
    power_by_repeats(out, s.repeats);
  }
  out = expand_reduced(out, plan);
  if (is_floating(out_dtype) && autograd::needs_grad(t)) {
    Tensor src = to_dtype(t, out_dtype);  // t itself unless converted; the gradient's input
    const bool all = dims.empty();
    const int64_t dim = all || t.dim() == 0 ? 0 : wrap_dim(dims[0], t.dim());
    autograd::record(node, {out}, {src}, {src, out}, [plan, all, dim](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      if (x.dim() == 0 || x.numel() == 0) return {expand(unsqueeze_reduced(g, plan), x.sizes())};
      Tensor others = all ? reshape(prod_of_others(reshape(x, {x.numel()}), 0), x.sizes()) : prod_of_others(x, dim);
      // A NaN product spreads NaN to its whole row's gradient, as PyTorch's g * prod / x does.
      Tensor p = unsqueeze_reduced(c.saved[1], plan);
      return {unsqueeze_reduced(g, plan) * where(binary(BinaryOp::Ne, p, p), p, others)};
    });
  }
  return out;
}

}  // namespace

Tensor prod(const Tensor& t, std::optional<DType> dtype) { return prod_impl("ProdBackward0", t, {}, false, dtype); }

Tensor prod(const Tensor& t, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  return prod_impl("ProdBackward1", t, {dim}, keepdim, dtype);
}

}  // namespace ember
