// sort, argsort, msort, topk, kthvalue and median: one row sort (kernels/sort.h) along the dim,
// then a slice or a pick of it. The gradient of each goes back through the indices: it is
// scattered into zeros at the positions the values came from.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/sort.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// Sorted values and their source positions along dim (Note [Sort order]); no autograd.
std::pair<Tensor, Tensor> sort_kernel(const Tensor& t, int64_t dim, bool descending) {
  autograd::AutoGradMode no_grad(false);
  if (t.dim() == 0) return {contiguous_clone(t), zeros({}, DType::Int64, t.device())};
  const int64_t d = wrap_dim(dim, t.dim()), last = t.dim() - 1;
  // The sorted dim last, so each row is contiguous; the results are moved back afterwards.
  Tensor rows = contiguous(d == last ? t : transpose(t, d, last));
  Tensor values = empty(rows.sizes(), t.dtype(), t.device());
  Tensor indices = empty(rows.sizes(), DType::Int64, t.device());
  const int64_t n = rows.sizes()[last];
  if (values.numel() > 0)
    EMBER_DISPATCH_KERNEL(values.device(), sort_rows, t.dtype(), descending, values.raw_data(),
                          static_cast<int64_t*>(indices.raw_data()), rows.raw_data(), values.numel() / n, n);
  if (d == last) return {values, indices};
  return {contiguous(transpose(values, d, last)), contiguous(transpose(indices, d, last))};
}

// The gradient of values picked from x by `indices` along dim: g scattered into zeros of x's shape.
// `keepdim` false means the picked dim was dropped (kthvalue, median) and is put back first.
void record_pick(const char* node, const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim,
                 bool keepdim) {
  if (!is_floating(x.dtype()) || !autograd::needs_grad(x)) return;
  const Shape sizes = x.sizes();
  const int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim());
  autograd::record(node, {values, indices}, {x}, {indices}, [sizes, d, keepdim](const BackwardArgs& c) -> tensor_list {
    const Tensor& g = c.grad();
    if (sizes.empty()) return {g};
    Tensor idx = keepdim ? c.saved[0] : unsqueeze(c.saved[0], d);
    return {scatter_add(zeros(sizes, g.dtype(), g.device()), d, idx, keepdim ? g : unsqueeze(g, d))};
  });
}

int64_t dim_size(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.sizes()[d]; }

void check_not_bool(const char* op, const Tensor& t) {
  EMBER_CHECK(t.dtype() != DType::Bool, NotImplemented, "[", op, "] \"", op, "_cpu\" not implemented for 'Bool'");
}

void check_nonempty_dim(const char* op, const Tensor& t, int64_t d) {
  EMBER_CHECK(dim_size(t, d) > 0, Index, "[", op, "] ", op, "(): Expected reduction dim ", d,
              " to have non-zero size.");
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  (void)stable;  // every sort is stable: Note [Sort order]
  wrap_dim(dim, t.dim());
  auto [values, indices] = sort_kernel(t, dim, descending);
  record_pick("SortBackward0", values, indices, t, dim, true);
  return {values, indices};
}

Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  (void)stable;
  wrap_dim(dim, t.dim());
  return sort_kernel(t, dim, descending).second;
}

Tensor msort(const Tensor& t) { return sort(t, 0, false, false).first; }

std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
  (void)sorted;  // the k values always come out sorted (PyTorch leaves the order unspecified when false)
  const int64_t d = t.dim() == 0 ? 0 : wrap_dim(dim, t.dim());
  EMBER_CHECK(t.dtype() != DType::Bool, Runtime, "[topk] topk does not support bool dtypes");
  EMBER_CHECK(k >= 0 && k <= dim_size(t, d), Runtime, "[topk] selected index k out of range (k = ", k,
              ", size of dim ", d, " is ", dim_size(t, d), ")");
  auto [sorted_values, sorted_indices] = sort_kernel(t, d, largest);
  Tensor values = t.dim() == 0 ? sorted_values : contiguous_clone(narrow(sorted_values, d, 0, k));
  Tensor indices = t.dim() == 0 ? sorted_indices : contiguous_clone(narrow(sorted_indices, d, 0, k));
  record_pick("TopkBackward0", values, indices, t, d, true);
  return {values, indices};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
  const int64_t d = t.dim() == 0 ? 0 : wrap_dim(dim, t.dim());
  check_not_bool("kthvalue", t);
  check_nonempty_dim("kthvalue", t, d);
  EMBER_CHECK(k >= 1 && k <= dim_size(t, d), Runtime, "[kthvalue] kthvalue(): selected number k out of range for "
              "dimension ", d, " (k = ", k, ", size ", dim_size(t, d), ")");
  auto [sv, si] = sort_kernel(t, d, false);
  Tensor values = sv, indices = si;
  if (t.dim() > 0) {
    autograd::AutoGradMode no_grad(false);
    values = contiguous_clone(narrow(sv, d, k - 1, 1));
    indices = contiguous_clone(narrow(si, d, k - 1, 1));
    if (!keepdim) values = squeeze(values, d), indices = squeeze(indices, d);
  }
  record_pick("KthvalueBackward0", values, indices, t, d, keepdim);
  return {values, indices};
}

// Note [Median]: the lower median, sorted[(n - 1) / 2], as PyTorch takes it; but a row with a NaN
// has median NaN, at the first NaN's position (PyTorch propagates NaN; nanmedian would not). NaN
// sorts last and the sort is stable, so that NaN sits at sorted[n - nan_count].
std::pair<Tensor, Tensor> median_dim(const Tensor& t, int64_t dim, bool keepdim) {
  const int64_t d = t.dim() == 0 ? 0 : wrap_dim(dim, t.dim());
  check_not_bool("median", t);
  check_nonempty_dim("median", t, d);
  auto [sv, si] = sort_kernel(t, d, false);
  Tensor values = sv, indices = si;
  if (t.dim() > 0) {
    autograd::AutoGradMode no_grad(false);
    const int64_t n = t.sizes()[d];
    Tensor nans = sum(to_dtype(binary(BinaryOp::Ne, t, t), DType::Int64), {d}, true);
    Tensor has_nan = binary(BinaryOp::Gt, nans, Scalar{0, ScalarKind::Int});
    Tensor pos = where(has_nan, binary(BinaryOp::Sub, Scalar{static_cast<double>(n), ScalarKind::Int}, nans),
                       scalar_tensor(Scalar{static_cast<double>((n - 1) / 2), ScalarKind::Int}, DType::Int64, t.device()));
    values = gather(sv, d, pos);
    indices = gather(si, d, pos);
    if (!keepdim) values = squeeze(values, d), indices = squeeze(indices, d);
  }
  record_pick("MedianBackward1", values, indices, t, d, keepdim);
  return {values, indices};
}

Tensor median_all(const Tensor& t) {
  check_not_bool("median", t);
  Tensor flat = reshape(t, {t.numel()});
  Tensor value;
  {
    autograd::AutoGradMode no_grad(false);
    value = t.numel() == 0 ? full({}, Scalar{NAN, ScalarKind::Float}, t.dtype(), t.device())
                           : median_dim(flat, 0, false).first;
  }
  if (is_floating(t.dtype()) && autograd::needs_grad(t)) {
    // As PyTorch: the gradient is shared evenly by the elements equal to the median (NaN: the NaNs).
    autograd::record("MedianBackward0", {value}, {t}, {t, value}, [](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &m = c.saved[1], &g = c.grad();
      Tensor same = binary(BinaryOp::Eq, x, m);
      Tensor both_nan = binary(BinaryOp::Mul, binary(BinaryOp::Ne, x, x), binary(BinaryOp::Ne, m, m));
      Tensor mask = to_dtype(binary(BinaryOp::Add, same, both_nan), g.dtype());
      return {mask * (g / sum(mask, {}, false))};
    });
  }
  return value;
}

}  // namespace ember
