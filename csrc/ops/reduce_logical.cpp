// count_nonzero, all / any: how many (whether every, some) elements along dims are nonzero.
// Results are integers or bools and not differentiable. Each tests only the distinct values of
// an expanded input (Note [Reducing stride-0 dims], ops/reduce.cpp).
#include "autograd/grad_mode.h"
#include "ops/reduce_util.h"

namespace ember {

namespace {

Tensor nonzero_mask(const Tensor& t) {
  return t.dtype() == DType::Bool ? t : binary(BinaryOp::Ne, t, Scalar{0, ScalarKind::Int});
}

// all / any as the min / max of the mask t != 0 (false < true): the mask is reduced as it is,
// where a count would first widen it to int64 (8 bytes an element). A reduction over nothing is
// all's true and any's false, as in PyTorch.
Tensor all_or_any(const char* op, bool is_all, const Tensor& t, const DimList& dims, bool keepdim) {
  ReducePlan plan = plan_reduction(op, t, dims, keepdim);
  if (t.numel() == 0) return full(plan.out, Scalar{is_all ? 1.0 : 0.0, ScalarKind::Int}, DType::Bool, t.device());
  autograd::AutoGradMode no_grad(false);
  Stride0Narrowed s = narrow_stride0(t, plan);
  Tensor mask = nonzero_mask(s.distinct);
  return expand_reduced(is_all ? amin(mask, dims, keepdim) : amax(mask, dims, keepdim), plan);
}

}  // namespace

Tensor count_nonzero(const Tensor& t, const DimList& dims, bool keepdim) {
  ReducePlan plan = plan_reduction("count_nonzero", t, dims, keepdim);
  autograd::AutoGradMode no_grad(false);
  Stride0Narrowed s = narrow_stride0(t, plan);
  Tensor count = sum(nonzero_mask(s.distinct), dims, keepdim, DType::Int64);
  if (!s.narrowed) return count;
  scale_by_repeats(count, s.repeats);
  return expand_reduced(count, plan);
}

Tensor all(const Tensor& t, const DimList& dims, bool keepdim) { return all_or_any("all", true, t, dims, keepdim); }

Tensor any(const Tensor& t, const DimList& dims, bool keepdim) { return all_or_any("any", false, t, dims, keepdim); }

}  // namespace ember
