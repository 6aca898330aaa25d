// sort, argsort, msort, topk, kthvalue and median: one row sort (kernels/sort.h) along the dim,
// then a slice or a pick of it. The gradient of each goes back through the indices: it is
// scattered into zeros at the positions the values came from.
#include <cmath>
#include <limits>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/sort.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// t with dim d moved last, contiguous: one row per kernel row (a view when d is already last).
Tensor rows_along(const Tensor& t, int64_t d) {
  const int64_t last = t.dim() - 1;
  return contiguous(d == last ? t : transpose(t, d, last));
}

// A kernel's [..., m] result over rows_along(t, d) moved back: m along d.
Tensor moved_back(const Tensor& r, int64_t d) {
  const int64_t last = r.dim() - 1;
  return d == last ? r : contiguous(transpose(r, d, last));
}

// Sorted values and their source positions along dim (Note [Sort order]); no autograd.
std::pair<Tensor, Tensor> sort_kernel(const Tensor& t, int64_t dim, bool descending) {
  autograd::AutoGradMode no_grad(false);
  if (t.dim() == 0) return {contiguous_clone(t), zeros({}, DType::Int64, t.device())};
  const int64_t d = wrap_dim(dim, t.dim()), last = t.dim() - 1;
  // The sorted dim last, so each row is contiguous; the results are moved back afterwards.
  Tensor rows = rows_along(t, d);
  Tensor values = empty(rows.sizes(), t.dtype(), t.device());
  Tensor indices = empty(rows.sizes(), DType::Int64, t.device());
  const int64_t n = rows.sizes()[last];
  if (values.numel() > 0)
    EMBER_DISPATCH_KERNEL(values.device(), sort_rows, t.dtype(), descending, values.raw_data(),
                          static_cast<int64_t*>(indices.raw_data()), rows.raw_data(), values.numel() / n, n);
  return {moved_back(values, d), moved_back(indices, d)};
}

// One picked element per row (kth_rows): values and indices with size 1 at d, or d dropped.
std::pair<Tensor, Tensor> pick_kernel(const Tensor& t, int64_t d, int64_t k, bool median, bool keepdim) {
  autograd::AutoGradMode no_grad(false);
  Tensor rows = rows_along(t, d);
  Shape out_shape = rows.sizes();
  const int64_t n = out_shape.back();
  out_shape.back() = 1;
  Tensor values = empty(out_shape, t.dtype(), t.device());
  Tensor indices = empty(out_shape, DType::Int64, t.device());
  if (values.numel() > 0)
    EMBER_DISPATCH_KERNEL(values.device(), kth_rows, t.dtype(), k, median, values.raw_data(),
                          static_cast<int64_t*>(indices.raw_data()), rows.raw_data(), values.numel(), n);
  values = moved_back(values, d), indices = moved_back(indices, d);
  if (!keepdim) values = squeeze(values, d), indices = squeeze(indices, d);
  return {values, indices};
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
  Tensor values, indices;
  if (t.dim() == 0) {
    std::tie(values, indices) = sort_kernel(t, 0, largest);
  } else {
    autograd::AutoGradMode no_grad(false);
    Tensor rows = rows_along(t, d);
    Shape out_shape = rows.sizes();
    const int64_t n = out_shape.back();
    out_shape.back() = k;
    values = empty(out_shape, t.dtype(), t.device());
    indices = empty(out_shape, DType::Int64, t.device());
    if (values.numel() > 0)
      EMBER_DISPATCH_KERNEL(values.device(), topk_rows, t.dtype(), largest, k, values.raw_data(),
                            static_cast<int64_t*>(indices.raw_data()), rows.raw_data(), values.numel() / k, n);
    values = moved_back(values, d), indices = moved_back(indices, d);
  }
  record_pick("TopkBackward0", values, indices, t, d, true);
  return {values, indices};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
  const int64_t d = t.dim() == 0 ? 0 : wrap_dim(dim, t.dim());
  check_not_bool("kthvalue", t);
  check_nonempty_dim("kthvalue", t, d);
  EMBER_CHECK(k >= 1 && k <= dim_size(t, d), Runtime, "[kthvalue] kthvalue(): selected number k out of range for "
              "dimension ", d, " (k = ", k, ", size ", dim_size(t, d), ")");
  auto [values, indices] = t.dim() == 0 ? sort_kernel(t, 0, false) : pick_kernel(t, d, k - 1, false, keepdim);
  record_pick("KthvalueBackward0", values, indices, t, d, keepdim);
  return {values, indices};
}

// The lower median, or NaN at the first NaN's position: Note [Median] in kernels/sort.h.
std::pair<Tensor, Tensor> median_dim(const Tensor& t, int64_t dim, bool keepdim) {
  const int64_t d = t.dim() == 0 ? 0 : wrap_dim(dim, t.dim());
  check_not_bool("median", t);
  check_nonempty_dim("median", t, d);
  auto [values, indices] = t.dim() == 0 ? sort_kernel(t, 0, false) : pick_kernel(t, d, 0, true, keepdim);
  record_pick("MedianBackward1", values, indices, t, d, keepdim);
  return {values, indices};
}

Tensor median_all(const Tensor& t) {
  check_not_bool("median", t);
  Tensor flat = reshape(t, {t.numel()});
  Tensor value;
  {
    autograd::AutoGradMode no_grad(false);
    // The median of nothing: NaN, or for integers what PyTorch's cast of NaN gives, the type's minimum.
    const double none = is_floating(t.dtype())       ? NAN
                        : t.dtype() == DType::Int32 ? static_cast<double>(std::numeric_limits<int32_t>::min())
                                                    : static_cast<double>(std::numeric_limits<int64_t>::min());
    value = t.numel() == 0 ? full({}, Scalar{none, ScalarKind::Float}, t.dtype(), t.device())
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
