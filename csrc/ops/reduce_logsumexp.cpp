// logsumexp over dims, with its derivative beside it.
#include <cmath>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// log(sum(exp(x))) over the plan's dims, kept as size 1, in PyTorch's order: shifted by the max so
// nothing overflows, the max taken as 0 where it is infinite (an all -inf slice gives -inf, a +inf
// element +inf), the sum of an empty slice 0 and its log -inf. No autograd.
Tensor shifted_logsumexp(const Tensor& x, const DimList& dims) {
  autograd::AutoGradMode no_grad(false);
  if (x.numel() == 0) return log(sum(exp(x), dims, true));
  Tensor m = amax(x, dims, true);
  m = where(unary(UnaryOp::Isinf, m), zeros({}, m.dtype(), m.device()), m);
  return log(sum(exp(x - m), dims, true)) + m;
}

}  // namespace

// Note [Reducing stride-0 dims]: n repeats of each value multiply the sum of exponentials by n,
// so the logsumexp of the distinct values plus log n is that of them all (rounded differently from
// PyTorch's sum of every copy, in the last bits, as a sum's is).
Tensor logsumexp(const Tensor& t, const DimList& dims, bool keepdim) {
  ReducePlan plan = plan_reduction("logsumexp", t, dims, keepdim);
  const DType dtype = is_floating(t.dtype()) ? t.dtype() : default_dtype();  // integers as PyTorch: default float
  Tensor out;
  {
    autograd::AutoGradMode no_grad(false);
    Stride0Narrowed s = narrow_stride0(t, plan);
    out = shifted_logsumexp(to_dtype(s.distinct, dtype), reduced_dims(s.plan));
    if (s.repeats > 1) out = out + std::log(static_cast<double>(s.repeats));
    out = expand_reduced(reshape(out, s.plan.out), plan);
  }
  if (autograd::needs_grad(t)) {
    // d lse / dx = exp(x - lse), the softmax over the dims (PyTorch's logsumexp_backward).
    autograd::record("LogsumexpBackward0", {out}, {t}, {t, out}, [plan](const BackwardArgs& c) -> tensor_list {
      return {unsqueeze_reduced(c.grad(), plan) * exp(c.saved[0] - unsqueeze_reduced(c.saved[1], plan))};
    });
  }
  return out;
}

}  // namespace ember
