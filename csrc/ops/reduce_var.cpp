// var and std with Bessel's correction, each with its derivative beside it.
#include <algorithm>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/reduce.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// Note [Reducing stride-0 dims]: n repeats of each value leave the mean as it is and multiply the
// sum of squared deviations by n, so the variance of the distinct values with the correction
// divided by n, ss / (N_d - c / n) = n ss / (N - c), is the variance of them all.
Tensor var_forward(const char* op, const Tensor& t, const ReducePlan& plan, double correction) {
  EMBER_CHECK(is_floating(t.dtype()), Runtime, "[", op, "] expected a floating point input, got ",
              dtype_name(t.dtype()));
  Stride0Narrowed s = narrow_stride0(t, plan);
  Tensor out = empty(s.plan.out, t.dtype(), t.device());
  Tensor block = kept_then_reduced(s.distinct, s.plan);
  EMBER_DISPATCH_KERNEL(out.device(), var_last_axis, t.dtype(), out.raw_data(), block.raw_data(), s.plan.outer,
                        s.plan.inner, correction / static_cast<double>(s.repeats));
  return expand_reduced(out, plan);
}

// d(var)/dx_i = 2 (x_i - mean) / dof, with dof = max(0, n - correction): written with ember ops
// so that it is itself differentiable.
Tensor var_grad(const Tensor& g_keepdim, const Tensor& x, const DimList& dims, double dof) {
  return g_keepdim * (x - mean(x, dims, true)) * (2.0 / dof);
}

}  // namespace

Tensor var(const Tensor& t, const DimList& dims, double correction, bool keepdim) {
  ReducePlan plan = plan_reduction("var", t, dims, keepdim);
  Tensor out = var_forward("var", t, plan, correction);
  if (autograd::needs_grad(t)) {
    double dof = std::max(0.0, static_cast<double>(plan.inner) - correction);
    DimList rd = reduced_dims(plan);
    autograd::record("VarBackward0", {out}, {t}, {t}, [plan, rd, dof](const BackwardArgs& c) -> tensor_list {
      return {var_grad(unsqueeze_reduced(c.grad(), plan), c.saved[0], rd, dof)};
    });
  }
  return out;
}

Tensor std_dev(const Tensor& t, const DimList& dims, double correction, bool keepdim) {
  ReducePlan plan = plan_reduction("std", t, dims, keepdim);
  Tensor out = var_forward("std", t, plan, correction);
  {
    autograd::AutoGradMode no_grad(false);
    unary_(UnaryOp::Sqrt, out);
  }
  if (autograd::needs_grad(t)) {
    double dof = std::max(0.0, static_cast<double>(plan.inner) - correction);
    DimList rd = reduced_dims(plan);
    // d(std) = d(var) / (2 std), taken as 0 where std is 0 (as PyTorch does) rather than NaN.
    autograd::record("StdBackward0", {out}, {t}, {t, out}, [plan, rd, dof](const BackwardArgs& c) -> tensor_list {
      const Tensor &std = c.saved[1], &g = c.grad();
      Tensor zero = scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device());
      Tensor g_var = where(binary(BinaryOp::Eq, std, Scalar{0, ScalarKind::Int}), zero, g / (std * 2.0));
      g_var = unsqueeze_reduced(g_var, plan);
      return {var_grad(g_var, c.saved[0], rd, dof)};
    });
  }
  return out;
}

}  // namespace ember
