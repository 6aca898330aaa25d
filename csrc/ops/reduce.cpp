// sum, mean and sum_to; the reduction plan every reduction shares.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/reduce.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

ReducePlan plan_reduction(const char* op, const Tensor& t, const DimList& dims, bool keepdim) {
  ReducePlan p;
  int64_t n = t.dim();
  p.reduced.assign(static_cast<size_t>(n), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, n);
    if (n == 0) continue;
    EMBER_CHECK(!p.reduced[w], Runtime, "[", op, "] dim ", w, " appears multiple times in the list of dims");
    p.reduced[w] = true;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t s = t.sizes()[i];
    if (p.reduced[i]) {
      p.inner *= s;
      p.out_keepdim.push_back(1);
      if (keepdim) p.out.push_back(1);
    } else {
      p.outer *= s;
      p.out_keepdim.push_back(s);
      p.out.push_back(s);
    }
  }
  return p;
}

Tensor kept_then_reduced(const Tensor& t, const ReducePlan& plan) {
  DimList order;
  for (int64_t i = 0; i < t.dim(); ++i) if (!plan.reduced[i]) order.push_back(i);
  for (int64_t i = 0; i < t.dim(); ++i) if (plan.reduced[i]) order.push_back(i);
  autograd::AutoGradMode no_grad(false);
  Tensor p = permute(t, order);
  return p.is_contiguous() ? p : contiguous_clone(p);
}

DimList reduced_dims(const ReducePlan& plan) {
  DimList dims;
  for (size_t i = 0; i < plan.reduced.size(); ++i)
    if (plan.reduced[i]) dims.push_back(static_cast<int64_t>(i));
  return dims;
}

Tensor unsqueeze_reduced(const Tensor& g, const ReducePlan& plan) {
  return g.sizes() == plan.out_keepdim ? g : reshape(g, plan.out_keepdim);
}

namespace {

// The sum of `src` over the plan's dims, in src's dtype; no autograd.
Tensor sum_kernel(const Tensor& src, const ReducePlan& plan) {
  Tensor out = empty(plan.out, src.dtype(), src.device());
  // Reducing the leading dims of a contiguous tensor (a bias gradient) needs no permuted copy.
  int64_t lead = 0;
  while (lead < src.dim() && plan.reduced[lead]) ++lead;
  bool leading_only = true;
  for (int64_t i = lead; i < src.dim(); ++i) leading_only = leading_only && !plan.reduced[i];
  if (src.is_contiguous() && leading_only && lead > 0) {
    EMBER_DISPATCH_KERNEL(out.device(), sum_first_axis, src.dtype(), out.raw_data(), src.raw_data(), plan.inner,
                          plan.outer);
  } else {
    Tensor block = kept_then_reduced(src, plan);
    EMBER_DISPATCH_KERNEL(out.device(), sum_last_axis, src.dtype(), out.raw_data(), block.raw_data(), plan.outer,
                          plan.inner);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& t, const DimList& dims, bool keepdim, std::optional<DType> dtype) {
  ReducePlan plan = plan_reduction("sum", t, dims, keepdim);
  DType out_dtype = dtype ? *dtype : (is_floating(t.dtype()) ? t.dtype() : DType::Int64);
  Tensor src = t.dtype() == out_dtype ? t : to_dtype(t, out_dtype);
  Tensor out = sum_kernel(src, plan);
  if (is_floating(out_dtype) && autograd::needs_grad(t)) {
    Shape in_shape = t.sizes();
    // PyTorch names the full sum SumBackward0 and a sum over dims SumBackward1.
    autograd::record(dims.empty() ? "SumBackward0" : "SumBackward1", {out}, {t}, {}, [plan, in_shape](const BackwardArgs& c) -> tensor_list {
      return {expand(unsqueeze_reduced(c.grad(), plan), in_shape)};  // d(sum)/dx_i = 1
    });
  }
  return out;
}

Tensor mean(const Tensor& t, const DimList& dims, bool keepdim) {
  EMBER_CHECK(is_floating(t.dtype()), Runtime, "[mean] could not infer output dtype. Input dtype must be either "
              "a floating point or complex dtype. Got: ", dtype_name(t.dtype()));
  ReducePlan plan = plan_reduction("mean", t, dims, keepdim);
  Tensor out = sum_kernel(t, plan);
  // An empty reduction is 0 / 0 = NaN, as in PyTorch.
  double n = static_cast<double>(plan.inner);
  {
    autograd::AutoGradMode no_grad(false);
    binary_(BinaryOp::Div, out, Scalar{n, ScalarKind::Float});
  }
  if (autograd::needs_grad(t)) {
    Shape in_shape = t.sizes();
    autograd::record("MeanBackward1", {out}, {t}, {}, [plan, in_shape, n](const BackwardArgs& c) -> tensor_list {
      return {expand(unsqueeze_reduced(c.grad() / n, plan), in_shape)};  // d(mean)/dx_i = 1/n
    });
  }
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.sizes() == shape) return g;
  int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  DimList dims;
  for (int64_t i = 0; i < g.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.sizes()[i] != 1)) dims.push_back(i);
  Tensor s = dims.empty() ? g : sum(g, dims, true);
  return reshape(s, shape);
}

}  // namespace ember
