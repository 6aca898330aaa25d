// sum, mean and sum_to; the reduction plan every reduction shares.
#include <climits>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/reduce.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// The plan of reducing dims `reduced` of a tensor of `sizes`.
ReducePlan plan_for(const std::vector<bool>& reduced, const Shape& sizes, bool keepdim) {
  ReducePlan p;
  p.reduced = reduced;
  p.keepdim = keepdim;
  for (size_t i = 0; i < sizes.size(); ++i) {
    int64_t s = sizes[i];
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

}  // namespace

ReducePlan plan_reduction(const char* op, const Tensor& t, const DimList& dims, bool keepdim) {
  int64_t n = t.dim();
  std::vector<bool> reduced(static_cast<size_t>(n), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, n);
    if (n == 0) continue;
    EMBER_CHECK(!reduced[w], Runtime, "[", op, "] dim ", w, " appears multiple times in the list of dims");
    reduced[w] = true;
  }
  return plan_for(reduced, t.sizes(), keepdim);
}

// Note [Reducing stride-0 dims]
// An expanded tensor (x.expand(2**27), a broadcast bias) repeats its values along its stride-0
// dims. Laying it out as a contiguous [kept, reduced] block (kept_then_reduced) would write every
// repeat: x.expand(2**27).sum() copied 512 MB. So the reductions first narrow each stride-0 dim
// of size > 1 to size 1, a view of the distinct values, reduce that, and then account for the
// repeats: amax/amin (and max/min along a dim, whose first index is then 0) and all/any need
// nothing, as a repeated value is still the extreme and still zero or not; a sum and a count
// multiply by them, since n copies of s add up to n * s, exactly for integers (which wrap alike)
// and rounded once for floats, where PyTorch adds the n copies one by one: the two can differ in
// the last bits, ember's being the nearer to the exact sum; a mean divides that sum by the full
// count as before. A kept stride-0 dim is reduced once and the result expanded into the output,
// so only the output is ever full size. The others account for repeats in their own way: a
// product raises to the n-th power, a variance divides its correction by n (reduce_var.cpp),
// logsumexp adds log n (reduce_logsumexp.cpp), and argmax/argmin over several dims count the first
// extreme's position among all the elements again (reduce_minmax.cpp).
Stride0Narrowed narrow_stride0(const Tensor& t, const ReducePlan& plan, bool reduced_too) {
  Stride0Narrowed s;
  s.distinct = t;
  s.plan = plan;
  if (t.numel() == 0) return s;  // nothing to copy anyway
  Shape sizes = t.sizes();
  for (int64_t i = 0; i < t.dim(); ++i) {
    if (t.strides()[i] != 0 || sizes[i] <= 1 || (plan.reduced[i] && !reduced_too)) continue;
    if (plan.reduced[i]) s.repeats *= sizes[i];  // a factor of numel: fits in int64
    sizes[i] = 1;
    s.narrowed = true;
  }
  if (!s.narrowed) return s;
  s.distinct = make_view(t, sizes, t.strides(), t->offset());
  s.plan = plan_for(plan.reduced, sizes, plan.keepdim);
  return s;
}

Tensor expand_reduced(const Tensor& r, const ReducePlan& plan) {
  if (r.sizes() == plan.out) return r;
  autograd::AutoGradMode no_grad(false);
  return contiguous_clone(expand(r, plan.out));
}

Tensor exact_count(int64_t n, DType dtype, Device device) {
  Tensor count = empty({}, dtype, cpu_device());
  if (dtype == DType::Int32) *count.data<int32_t>() = static_cast<int32_t>(static_cast<uint32_t>(n));
  else *count.data<int64_t>() = n;
  return device.is_cpu() ? count : to_device(count, device);
}

namespace {
// r op= n for a count n of repeats: a Scalar for floats, an exact_count for integers.
void apply_repeats(BinaryOp op, Tensor& r, int64_t n) {
  autograd::AutoGradMode no_grad(false);
  if (is_floating(r.dtype())) binary_(op, r, Scalar{static_cast<double>(n), ScalarKind::Float});
  else binary_(op, r, exact_count(n, r.dtype(), r.device()));
}
}  // namespace

void scale_by_repeats(Tensor& r, int64_t n) {
  if (n != 1) apply_repeats(BinaryOp::Mul, r, n);
}

void power_by_repeats(Tensor& r, int64_t n) {
  // An int32 count is n cut to 32 bits, right for a product (mod 2^32) but not for a power. Mod
  // 2^32 an odd base's powers repeat every 2^30 and an even base's are 0 from the 32nd on, so
  // 32 + (n - 32) mod 2^30 is a power with the same value that fits.
  if (r.dtype() == DType::Int32 && n > INT32_MAX) n = 32 + (n - 32) % (int64_t{1} << 30);
  if (n != 1) apply_repeats(BinaryOp::Pow, r, n);
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

// The sum of t over the plan's dims in out_dtype, t's values converted first (sum(dtype=)); no
// autograd. Only the distinct values of an expanded t are converted and summed (Note [Reducing
// stride-0 dims]): ones(1, dtype=int32).expand(2**27).sum() converts one element to int64.
Tensor sum_as(const Tensor& t, const ReducePlan& plan, DType out_dtype) {
  autograd::AutoGradMode no_grad(false);
  Stride0Narrowed s = narrow_stride0(t, plan);
  Tensor src = s.distinct.dtype() == out_dtype ? s.distinct : to_dtype(s.distinct, out_dtype);
  Tensor r = sum_kernel(src, s.plan);
  if (!s.narrowed) return r;
  scale_by_repeats(r, s.repeats);
  return expand_reduced(r, plan);
}

}  // namespace

Tensor sum(const Tensor& t, const DimList& dims, bool keepdim, std::optional<DType> dtype) {
  ReducePlan plan = plan_reduction("sum", t, dims, keepdim);
  DType out_dtype = dtype ? *dtype : (is_floating(t.dtype()) ? t.dtype() : DType::Int64);
  Tensor out = sum_as(t, plan, out_dtype);
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
  Tensor out = sum_as(t, plan, t.dtype());
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
