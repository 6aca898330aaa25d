// scatter (src written at an int64 index along one dim) and scatter_reduce (src combined there
// by sum, prod, mean, amax or amin, with or without self's own value), as PyTorch's, on the
// kernels::scatter_reduce kernel. Their backward formulas are PyTorch's (scatter_reduce_backward
// in its FunctionsManual.cpp), written in ember ops so they differentiate again.
#include <cmath>
#include <string>

#include "autograd/function_node.h"
#include "kernels/dispatch.h"
#include "kernels/index.h"
#include "ops/index_util.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;
using kernels::ScatterReduce;

namespace {

// The reduce= names scatter_reduce takes; mean runs as Sum and then divides by the counts.
struct ReduceKind {
  ScatterReduce kernel;
  bool mean;
};

ReduceKind parse_reduce(const std::string& reduce) {
  if (reduce == "sum") return {ScatterReduce::Sum, false};
  if (reduce == "prod") return {ScatterReduce::Prod, false};
  if (reduce == "mean") return {ScatterReduce::Sum, true};
  if (reduce == "amax") return {ScatterReduce::Amax, false};
  if (reduce == "amin") return {ScatterReduce::Amin, false};
  EMBER_CHECK(false, Runtime, "reduce argument must be either sum, prod, mean, amax or amin, got ", reduce);
  return {};
}

// A shape as PyTorch prints sizes in messages: [3, 4].
std::string list_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The checks scatter and scatter_reduce share, with PyTorch's messages; dim comes back wrapped.
// A 0-d tensor counts as 1-d of one element, as in PyTorch (a 0-d self takes a 0-d or 1-d index).
Tensor checked_scatter_args(const char* op, const Tensor& self, int64_t& dim, const Tensor& index, const Tensor& src) {
  check_same_device(op, self, index);
  check_same_device(op, self, src);
  EMBER_CHECK(is_integral(index.dtype()), Runtime, "scatter(): Expected dtype int64 for index, got ",
              dtype_name(index.dtype()));
  EMBER_CHECK(self.dtype() == src.dtype(), Runtime, "scatter(): Expected self.dtype to be equal to src.dtype");
  Tensor idx = checked_index(op, index);
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  if (idx.numel() == 0) return idx;  // nothing is written: PyTorch checks no shapes either
  EMBER_CHECK(std::max<int64_t>(self.dim(), 1) == std::max<int64_t>(idx.dim(), 1), Runtime,
              "Index tensor must have the same number of dimensions as self tensor");
  EMBER_CHECK(std::max<int64_t>(src.dim(), 1) == std::max<int64_t>(idx.dim(), 1), Runtime,
              "Index tensor must have the same number of dimensions as src tensor");
  bool fits = true;
  for (int64_t d = 0; d < idx.dim(); ++d) {
    const int64_t n = idx.sizes()[d];
    fits = fits && (d == dim || self.dim() == 0 || n <= self.sizes()[d]) && n <= (src.dim() ? src.sizes()[d] : 1);
  }
  EMBER_CHECK(fits, Runtime, "Expected index ", list_str(idx.sizes()), " to be no larger than self ",
              list_str(self.sizes()), " apart from dimension ", dim, " and to be no larger size than src ",
              list_str(src.sizes()));
  check_index_range(op, idx, dim, self.dim() == 0 ? 1 : self.sizes()[dim]);
  return idx;
}

// src with the index's number of dims (they differ only between 0-d and 1-d of one element).
Tensor src_like_index(const Tensor& src, const Tensor& idx) {
  return src.dim() == idx.dim() ? src : reshape(src, idx.dim() == 0 ? Shape{} : Shape{1});
}

// The gradient of src's index-shaped corner, as src's gradient.
Tensor src_gradient(const Tensor& g, const Shape& src_shape) {
  if (g.dim() == static_cast<int64_t>(src_shape.size())) return pad_to_shape(g, src_shape);
  return reshape(g, src_shape);  // 0-d against 1-d: one element on either side
}

// out = self with each index-shaped element of `block` combined into it by `op`; no autograd.
Tensor run_scatter(ScatterReduce op, const Tensor& self, int64_t dim, const Tensor& idx, const Tensor& block) {
  Tensor out = contiguous_clone(self);
  Shape sizes, strides;
  kernels::DimIndexLoop loop = dim_index_loop(out, dim, idx, sizes, strides);
  EMBER_DISPATCH_KERNEL(out.device(), scatter_reduce, out.dtype(), op, out.raw_data(), block.raw_data(),
                        typed_ptr<int64_t>(idx), loop);
  return out;
}

// What the excluded self is replaced by when include_self=False (PyTorch's initial values):
// 0 for sum and mean, 1 for prod, the lowest value for amax and the highest for amin.
Tensor reduce_identity(ScatterReduce op, const Tensor& idx, DType dtype, Device device) {
  const Shape& shape = idx.sizes();
  const bool floating = is_floating(dtype);
  switch (op) {
    case ScatterReduce::Prod: return ones(shape, dtype, device);
    case ScatterReduce::Amax:
      if (floating) return full(shape, Scalar{-INFINITY, ScalarKind::Float}, dtype, device);
      if (dtype == DType::Bool) return zeros(shape, dtype, device);
      return full(shape, Scalar{-9223372036854775808.0, ScalarKind::Int}, dtype, device);  // -2^63, exact
    case ScatterReduce::Amin:
      if (floating) return full(shape, Scalar{INFINITY, ScalarKind::Float}, dtype, device);
      if (dtype == DType::Bool) return ones(shape, dtype, device);
      // 2^63 - 1 has no double: it is the bitwise complement of -2^63, which has one.
      return binary(BinaryOp::BitwiseXor, full(shape, Scalar{-9223372036854775808.0, ScalarKind::Int}, dtype, device),
                    Scalar{-1.0, ScalarKind::Int});
    default: return zeros(shape, dtype, device);
  }
}

Tensor zero_at_index(const Tensor& g, int64_t dim, const Tensor& idx) {
  return scatter(g, dim, idx, zeros(idx.sizes(), g.dtype(), g.device()));
}

Tensor as_dtype_of(const Tensor& mask, const Tensor& like) { return to_dtype(mask, like.dtype()); }

Tensor one_of(const Tensor& t) { return scalar_tensor(Scalar{1.0, ScalarKind::Int}, t.dtype(), t.device()); }

// The leading index-shaped corner of src as a differentiable view.
Tensor src_corner(const Tensor& src, const Tensor& idx) {
  Tensor out = src;
  for (int64_t d = 0; d < idx.dim(); ++d)
    if (out.sizes()[d] != idx.sizes()[d]) out = slice(out, d, 0, idx.sizes()[d], 1);
  return out;
}

// Note [scatter_reduce gradients]: PyTorch's formulas, case by case (g: the gradient of the
// result, shaped like self; N: how many values met at each position):
//   sum:       dself = g;  dsrc = g gathered at the index
//   mean:      dself = g / N;  dsrc = (g / N) gathered
//   amax/amin: the gradient is shared evenly among the self and src values equal to the result
//              (self counts even when include_self=False, as in PyTorch)
//   prod:      dself = g * (the product without self); dsrc likewise, with zeros handled
//              apart: a single zero at a position gets the product of the others, two or more
//              zeros leave every one of them a zero gradient
// and with include_self=False, dself is zero where anything was scattered.
tensor_list scatter_reduce_backward(const BackwardArgs& c, int64_t dim, ScatterReduce op, bool mean, bool include_self,
                                    const Shape& src_shape) {
  // saved: idx, then counts (mean), or self, src (with the index's dims) and the result.
  const Tensor& g = c.grad();
  const Tensor& idx = c.saved[0];
  Tensor gself, gsrc;
  if (mean) {
    const Tensor& n = c.saved[1];
    gself = g / n;
    gsrc = gather(g, dim, idx) / gather(n, dim, idx);
  } else if (op == ScatterReduce::Sum) {
    gself = g;
    gsrc = gather(g, dim, idx);
  } else if (op == ScatterReduce::Amax || op == ScatterReduce::Amin) {
    const Tensor &self = c.saved[1], &result = c.saved[3];
    Tensor src = src_corner(c.saved[2], idx);
    Tensor value = gather(result, dim, idx);
    Tensor self_is_result = as_dtype_of(binary(BinaryOp::Eq, self, result), g);
    Tensor src_is_result = as_dtype_of(binary(BinaryOp::Eq, src, value), g);
    Tensor distributed = g / scatter_add(self_is_result, dim, idx, src_is_result);
    gself = self_is_result * distributed;
    gsrc = src_is_result * gather(distributed, dim, idx);
  } else {  // prod
    const Tensor &self = c.saved[1], &result = c.saved[3];
    Tensor src = src_corner(c.saved[2], idx);
    const char* reduce = "prod";
    Tensor masked_self = where(binary(BinaryOp::Eq, self, Scalar{0.0, ScalarKind::Int}), one_of(self), self);
    gself = g * scatter_reduce(masked_self, dim, idx, c.saved[2], reduce, include_self) / masked_self;
    Tensor src_zero = binary(BinaryOp::Eq, src, Scalar{0.0, ScalarKind::Int});
    Tensor zeros_there = gather(scatter_add(zeros_like(self), dim, idx, as_dtype_of(src_zero, self)), dim, idx);
    Tensor single_zero =
        binary(BinaryOp::LogicalAnd, src_zero, binary(BinaryOp::Eq, zeros_there, Scalar{1.0, ScalarKind::Int}));
    Tensor without_single = scatter_reduce(self, dim, idx, where(single_zero, one_of(src), src), reduce, include_self);
    gsrc = where(single_zero, gather(g * without_single, dim, idx),
                 gather(g * result, dim, idx) / where(src_zero, one_of(src), src));
  }
  if (!include_self) gself = zero_at_index(gself, dim, idx);
  return {c.needs[0] ? gself : Tensor(), c.needs[1] ? src_gradient(gsrc, src_shape) : Tensor()};
}

}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor idx = checked_scatter_args("scatter", self, dim, index, src);
  if (idx.numel() == 0) return clone(self);
  Tensor out = run_scatter(ScatterReduce::Assign, self, dim, idx, index_shaped_block(src_like_index(src, idx), idx));
  if (autograd::needs_grad(self, src)) {
    Shape src_shape = src.sizes();
    autograd::record("ScatterBackward0", {out}, {self, src}, {idx}, [dim, src_shape](const BackwardArgs& c) -> tensor_list {
      const Tensor &g = c.grad(), &idx = c.saved[0];
      return {c.needs[0] ? zero_at_index(g, dim, idx) : Tensor(),
              c.needs[1] ? src_gradient(gather(g, dim, idx), src_shape) : Tensor()};
    });
  }
  return out;
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self) {
  const ReduceKind kind = parse_reduce(reduce);
  Tensor idx = checked_scatter_args("scatter_reduce", self, dim, index, src);
  EMBER_CHECK(!(kind.mean && self.dtype() == DType::Bool), NotImplemented,
              "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'");
  if (idx.numel() == 0) return clone(self);
  Tensor start = include_self ? self
                              : run_scatter(ScatterReduce::Assign, self, dim, idx,
                                            reduce_identity(kind.kernel, idx, self.dtype(), self.device()));
  Tensor src_nd = src_like_index(src, idx);
  Tensor out = run_scatter(kind.kernel, start, dim, idx, index_shaped_block(src_nd, idx));
  Tensor counts;  // mean: how many values met at each position (at least 1), in self's dtype
  if (kind.mean) {
    Tensor n = include_self ? ones(self.sizes(), self.dtype(), self.device())
                            : zeros(self.sizes(), self.dtype(), self.device());
    n = run_scatter(ScatterReduce::Sum, n, dim, idx, ones(idx.sizes(), self.dtype(), self.device()));
    counts = where(binary(BinaryOp::Eq, n, Scalar{0.0, ScalarKind::Int}), one_of(n), n);
    out = binary(is_floating(out.dtype()) ? BinaryOp::Div : BinaryOp::FloorDivide, out, counts);
  }
  if (is_floating(self.dtype()) && autograd::needs_grad(self, src)) {
    const ScatterReduce op = kind.kernel;
    const bool mean = kind.mean;
    Shape src_shape = src.sizes();
    tensor_list saved = {idx};
    if (mean) saved.push_back(counts);
    if (op == ScatterReduce::Prod || op == ScatterReduce::Amax || op == ScatterReduce::Amin) {
      saved.push_back(self);
      saved.push_back(src_nd);
      saved.push_back(out);
    }
    autograd::record("ScatterReduceBackward0", {out}, {self, src}, saved,
                     [dim, op, mean, include_self, src_shape](const BackwardArgs& c) -> tensor_list {
                       return scatter_reduce_backward(c, dim, op, mean, include_self, src_shape);
                     });
  }
  return out;
}

}  // namespace ember
