// all / any / count_nonzero: whether every (some, how many) element along dims is nonzero.
// Results are bool or int64 and not differentiable, so they are counted with the sum kernel
// rather than a kernel of their own.
#include "ops/reduce_util.h"

namespace ember {

Tensor count_nonzero(const Tensor& t, const DimList& dims, bool keepdim) {
  plan_reduction("count_nonzero", t, dims, keepdim);  // validates dims with count_nonzero's name
  Tensor nonzero = t.dtype() == DType::Bool ? t : binary(BinaryOp::Ne, t, Scalar{0, ScalarKind::Int});
  return sum(nonzero, dims, keepdim, DType::Int64);
}

Tensor all(const Tensor& t, const DimList& dims, bool keepdim) {
  ReducePlan plan = plan_reduction("all", t, dims, keepdim);
  return binary(BinaryOp::Eq, count_nonzero(t, dims, keepdim), Scalar{static_cast<double>(plan.inner), ScalarKind::Int});
}

Tensor any(const Tensor& t, const DimList& dims, bool keepdim) {
  plan_reduction("any", t, dims, keepdim);  // validates dims with any's name
  return binary(BinaryOp::Gt, count_nonzero(t, dims, keepdim), Scalar{0, ScalarKind::Int});
}

}  // namespace ember
