// amax/amin, max/min (all or along a dim, with indices) and argmax/argmin.
#include <algorithm>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/reduce.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

Tensor zero_of(const Tensor& g) { return scalar_tensor(Scalar{0, ScalarKind::Float}, g.dtype(), g.device()); }

// A max over nothing has no value: PyTorch's errors, for a full reduction and for one dim.
void check_nonempty(const char* op, const Tensor& t, const ReducePlan& plan, bool full) {
  if (t.numel() > 0) return;
  EMBER_CHECK(!full, Runtime, "[", op, "] Expected reduction dim to be specified for input.numel() == 0. "
              "Specify the reduction dim with the 'dim' argument.");
  for (int64_t i = 0; i < t.dim(); ++i)
    EMBER_CHECK(!(plan.reduced[i] && t.sizes()[i] == 0), Index, "[", op, "] Expected reduction dim ", i,
                " to have non-zero size.");
}

// Note [Reducing stride-0 dims] for positions over several dims: the first extreme of the distinct
// values `t_distinct` lies at coordinate 0 along each narrowed dim, and so does the first in the
// whole tensor (row-major order ranks positions by their coordinates, a narrowed dim's equal
// copies differ in that coordinate only). So `pos`, a position among the distinct values' reduced
// dims, is unravelled there and ravelled again among the whole tensor's (in exact counts).
Tensor recount_positions(const Tensor& pos, const Tensor& t_distinct, const Tensor& t, const ReducePlan& plan) {
  autograd::AutoGradMode no_grad(false);
  auto count = [&](int64_t v) { return exact_count(v, DType::Int64, pos.device()); };
  Tensor out = zeros(pos.sizes(), DType::Int64, pos.device());
  int64_t distinct_after = 1, all_after = 1;  // the sizes of the later reduced dims, multiplied
  for (int64_t i = t.dim() - 1; i >= 0; --i) {
    if (!plan.reduced[i]) continue;
    const int64_t distinct_size = t_distinct.sizes()[i];
    if (distinct_size > 1) {
      Tensor coord = binary(BinaryOp::Remainder, binary(BinaryOp::FloorDivide, pos, count(distinct_after)),
                            count(distinct_size));
      binary_(BinaryOp::Add, out, binary(BinaryOp::Mul, coord, count(all_after)));
    }
    distinct_after *= distinct_size;
    all_after *= t.sizes()[i];
  }
  return out;
}

// Values (and, when `indices` is given, positions) of the max or min over the plan's dims; of
// equal values (+0 and -0) the first, or the last when `last_of_ties` (Note [Signed zeros in max and min]).
Tensor minmax_kernel(bool is_max, const Tensor& t, const ReducePlan& plan, Tensor* indices,
                     bool last_of_ties = false) {
  // Note [Reducing stride-0 dims]: a repeated value is still the extreme. A narrowed reduced dim
  // gives index 0, the first of its equal values, which is the position when it is the one dim
  // reduced (max/min along a dim); across several dims the position is counted again.
  const int64_t nreduced = std::count(plan.reduced.begin(), plan.reduced.end(), true);
  // (The last of ties would lie at the end of a narrowed dim: no caller asks its position.)
  Stride0Narrowed s = narrow_stride0(t, plan, !(indices && last_of_ties));
  if (s.narrowed) {
    Tensor distinct_indices;
    Tensor values = minmax_kernel(is_max, s.distinct, s.plan, indices ? &distinct_indices : nullptr, last_of_ties);
    if (indices && nreduced > 1 && s.repeats > 1)
      distinct_indices = recount_positions(distinct_indices, s.distinct, t, plan);
    if (indices) *indices = expand_reduced(distinct_indices, plan);
    return expand_reduced(values, plan);
  }
  Tensor out = empty(plan.out, t.dtype(), t.device());
  if (indices) *indices = empty(plan.out, DType::Int64, t.device());
  if (out.numel() == 0) return out;
  Tensor block = kept_then_reduced(t, plan);
  auto* positions = indices ? static_cast<int64_t*>(indices->raw_data()) : nullptr;  // device memory on a GPU
  EMBER_DISPATCH_KERNEL(out.device(), minmax_last_axis, t.dtype(), is_max, last_of_ties, out.raw_data(), positions,
                        block.raw_data(), plan.outer, plan.inner);
  return out;
}

// amax/amin and max()/min(): the gradient is shared evenly among the elements equal to the result.
// x.max()/x.min() (whole = true) differ from amax/amin in two ways, as PyTorch's: they keep the
// last of equal elements (Note [Signed zeros in max and min]), and a NaN result, which equals
// nothing, shares its gradient among the NaNs (MaxBackward1) where amax's is NaN everywhere.
Tensor minmax_values(const char* op, const char* node, bool is_max, const Tensor& t, const DimList& dims,
                     bool keepdim, bool whole = false) {
  ReducePlan plan = plan_reduction(op, t, dims, keepdim);
  check_nonempty(op, t, plan, dims.empty());
  Tensor out = minmax_kernel(is_max, t, plan, nullptr, whole);
  if (is_floating(t.dtype()) && autograd::needs_grad(t)) {
    DimList rd = reduced_dims(plan);
    autograd::record(node, {out}, {t}, {t, out}, [plan, rd, whole](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &g = c.grad();
      Tensor result = unsqueeze_reduced(c.saved[1], plan);
      Tensor won = binary(BinaryOp::Eq, x, result);
      if (whole)
        won = binary(BinaryOp::LogicalOr, won,
                     binary(BinaryOp::LogicalAnd, unary(UnaryOp::Isnan, x), unary(UnaryOp::Isnan, result)));
      Tensor winners = to_dtype(won, g.dtype());
      return {unsqueeze_reduced(g, plan) * winners / sum(winners, rd, true)};
    });
  }
  return out;
}

// max/min along one dim: the gradient goes to the chosen index only.
std::pair<Tensor, Tensor> minmax_dim(const char* op, bool is_max, const Tensor& t, int64_t dim, bool keepdim) {
  ReducePlan plan = plan_reduction(op, t, {dim}, keepdim);
  check_nonempty(op, t, plan, false);
  Tensor indices;
  Tensor values = minmax_kernel(is_max, t, plan, &indices);
  if (is_floating(t.dtype()) && autograd::needs_grad(t)) {
    int64_t d = wrap_dim(dim, t.dim());
    Shape positions_shape(static_cast<size_t>(t.dim()), 1);
    if (t.dim() > 0) positions_shape[d] = t.sizes()[d];
    autograd::record(is_max ? "MaxBackward0" : "MinBackward0", {values, indices}, {t}, {indices},
                     [plan, positions_shape](const BackwardArgs& c) -> tensor_list {
      // One-hot of the chosen index along `dim`: positions 0..K-1 compared with the index.
      const Tensor& g = c.grad();
      const double n = static_cast<double>(shape_numel(positions_shape));
      Tensor positions = reshape(arange(0, n, 1, DType::Int64, g.device()), positions_shape);
      Tensor chosen = binary(BinaryOp::Eq, unsqueeze_reduced(c.saved[0], plan), positions);
      return {where(chosen, unsqueeze_reduced(g, plan), zero_of(g))};
    });
  }
  return {values, indices};
}

Tensor argminmax(const char* op, bool is_max, const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  EMBER_CHECK(t.dtype() != DType::Bool, Runtime, "[", op, "] does not support bool input");
  if (dim) {
    ReducePlan plan = plan_reduction(op, t, {*dim}, keepdim);
    check_nonempty(op, t, plan, false);
    Tensor indices;
    minmax_kernel(is_max, t, plan, &indices);
    return indices;
  }
  // Over the flattened tensor; keepdim keeps every dim as size 1.
  EMBER_CHECK(t.numel() > 0, Index, "[", op, "] Expected reduction dim to be specified for input.numel() == 0.");
  ReducePlan plan = plan_reduction(op, t, {}, keepdim);
  Tensor indices;
  minmax_kernel(is_max, t, plan, &indices);
  return indices;
}

}  // namespace

Tensor amax(const Tensor& t, const DimList& dims, bool keepdim) {
  return minmax_values("amax", "AmaxBackward0", true, t, dims, keepdim);
}
Tensor amin(const Tensor& t, const DimList& dims, bool keepdim) {
  return minmax_values("amin", "AminBackward0", false, t, dims, keepdim);
}
Tensor max_all(const Tensor& t) { return minmax_values("max", "MaxBackward1", true, t, {}, false, true); }
Tensor min_all(const Tensor& t) { return minmax_values("min", "MinBackward1", false, t, {}, false, true); }

std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim) {
  return minmax_dim("max", true, t, dim, keepdim);
}
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim) {
  return minmax_dim("min", false, t, dim, keepdim);
}

Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  return argminmax("argmax", true, t, dim, keepdim);
}
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  return argminmax("argmin", false, t, dim, keepdim);
}

}  // namespace ember
