// cross_entropy over class-index targets: one fused native op forward and backward.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/loss.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"
#include "ops/reduce_util.h"

namespace ember {

using autograd::BackwardArgs;

Reduction parse_reduction(const char* op, const std::string& r) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  fail(ErrorKind::Value, "[", op, "] ", r, " is not a valid value for reduction (expected 'mean', 'sum' or 'none')");
}

namespace {

// Note [Fused cross entropy]
// cross_entropy = mean/sum over rows of (1 - eps) * (lse - x_t) + eps * (lse - mean_c x_c), with
// lse = logsumexp of the row and eps = label_smoothing; rows whose target is ignore_index count
// for nothing, and the mean divides by the rows that are not ignored (NaN when none is).
// Forward: one kernel reads each row once (Note [Online logsumexp]) and keeps the per-row lse.
// Backward: dlogits = (softmax(x) - smoothed one-hot) * upstream, 0 on ignored rows, where a
// mean's upstream is g / (rows not ignored). Without create_graph this is one kernel that
// recomputes softmax from x and the saved lse; with create_graph it is written in ember ops so
// that it can itself be differentiated.
// Note [Cross entropy stays on the device]: the count of rows not ignored is never read by the
// host (a CUDA tensor would need a sync): one kernel (cross_entropy_mean) counts them on the
// device, divides the summed loss by the count and keeps max(count, 1) as a 0-d tensor, which the
// backward kernel divides g by (every row is then ignored when the count is 0, and gets 0 rather
// than 0 * inf). Targets on a GPU are checked by the kernels, which
// report a bad one at the next sync (Note [Errors found by kernels]); on the CPU they are checked
// here, before the kernel.
struct CrossEntropyArgs {
  int64_t classes;
  Reduction reduction;
  int64_t ignore_index;
  double label_smoothing;
};

// The upstream gradient of the rows: g itself for 'sum' and 'none', g / max(count, 1) for a mean.
Tensor row_upstream(const Tensor& g, const Tensor& divisor) { return divisor.defined() ? g / divisor : g; }

Tensor differentiable_grad(const CrossEntropyArgs& a, const Tensor& x, const Tensor& target, const Tensor& g,
                           const Tensor& divisor) {
  DType dt = x.dtype();
  Tensor column = unsqueeze(target, 1);  // (N, 1)
  Tensor classes = arange(0, static_cast<double>(a.classes), 1, DType::Int64, x.device());
  Tensor onehot = to_dtype(binary(BinaryOp::Eq, column, classes), dt);
  Tensor kept = to_dtype(binary(BinaryOp::Ne, column, Scalar{static_cast<double>(a.ignore_index), ScalarKind::Int}), dt);
  Tensor smoothed = onehot * (1.0 - a.label_smoothing) + a.label_smoothing / static_cast<double>(a.classes);
  Tensor upstream = row_upstream(a.reduction == Reduction::None ? unsqueeze(g, 1) : g, divisor);
  return (softmax(x, 1) - smoothed) * kept * upstream;
}

// The kernel divides a mean's upstream gradient by the divisor itself: no launch for g / divisor.
Tensor fused_grad(const CrossEntropyArgs& a, const Tensor& x, const Tensor& target, const Tensor& lse,
                  const Tensor& g, const Tensor& divisor) {
  Tensor xc = x.is_contiguous() ? x : contiguous_clone(x);
  Tensor gc = cast_for_kernel(g.is_contiguous() ? g : contiguous_clone(g), x.dtype());
  Tensor dc = divisor.defined() ? cast_for_kernel(divisor, x.dtype()) : Tensor();
  Tensor dx = empty(x.sizes(), x.dtype(), x.device());
  int64_t n = x.size(0);
  EMBER_DISPATCH_KERNEL(dx.device(), cross_entropy_backward, x.dtype(), dx.raw_data(), xc.raw_data(),
                        static_cast<const double*>(lse.raw_data()), static_cast<const int64_t*>(target.raw_data()),
                        gc.raw_data(), a.reduction == Reduction::None ? 1 : 0, dc.defined() ? dc.raw_data() : nullptr,
                        n, a.classes, a.ignore_index, a.label_smoothing);
  return dx;
}

// logits (N, C), target (N,): the checked, fused core.
Tensor cross_entropy_rows(const Tensor& logits, const Tensor& target, Reduction reduction, int64_t ignore_index,
                          double label_smoothing) {
  int64_t n = logits.size(0), classes = logits.size(1);
  EMBER_CHECK(target.dim() == 1 && target.size(0) == n, Value, "[cross_entropy] Expected input batch_size (", n,
              ") to match target batch_size (", target.dim() == 1 ? target.size(0) : target.numel(),
              "); logits ", shape_str(logits.sizes()), ", target ", shape_str(target.sizes()));
  Tensor x = logits.is_contiguous() ? logits : contiguous_clone(logits);
  Tensor t = target.is_contiguous() ? target : contiguous_clone(target);
  const auto* targets = static_cast<const int64_t*>(t.raw_data());
  // On CUDA this finds nothing and reads nothing: see Note [Cross entropy stays on the device].
  int64_t bad = EMBER_DISPATCH_KERNEL(t.device(), find_bad_target, targets, n, classes, ignore_index);
  EMBER_CHECK(bad < 0, Index, "[cross_entropy] target ", bad < 0 ? 0 : targets[bad], " is out of bounds for ",
              classes, " classes");
  Tensor rows = empty({n}, logits.dtype(), logits.device());
  Tensor lse = empty({n}, DType::Float64, logits.device());
  EMBER_DISPATCH_KERNEL(rows.device(), cross_entropy_forward, logits.dtype(), rows.raw_data(),
                        static_cast<double*>(lse.raw_data()), x.raw_data(), targets, n, classes, ignore_index,
                        label_smoothing);
  Tensor out = rows, divisor;
  {
    autograd::AutoGradMode no_grad(false);
    if (reduction != Reduction::None) out = sum(rows, {}, false);
    if (reduction == Reduction::Mean) {  // one kernel: count the kept rows, divide, keep max(count, 1)
      divisor = empty({}, logits.dtype(), logits.device());
      EMBER_DISPATCH_KERNEL(out.device(), cross_entropy_mean, logits.dtype(), out.raw_data(), divisor.raw_data(),
                            targets, n, ignore_index);
    }
  }
  if (autograd::needs_grad(logits)) {
    CrossEntropyArgs a{classes, reduction, ignore_index, label_smoothing};
    tensor_list saved{logits, t, lse};
    if (divisor.defined()) saved.push_back(divisor);
    autograd::record("CrossEntropyLossBackward0", {out}, {logits}, saved, [a](const BackwardArgs& c) -> tensor_list {
      const Tensor &x = c.saved[0], &target = c.saved[1], &lse = c.saved[2];
      Tensor divisor = c.saved.size() > 3 ? c.saved[3] : Tensor();
      if (autograd::GradMode::is_enabled()) return {differentiable_grad(a, x, target, c.grad(), divisor)};
      return {fused_grad(a, x, target, lse, c.grad(), divisor)};
    });
  }
  return out;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, int64_t ignore_index,
                     double label_smoothing) {
  EMBER_CHECK(is_floating(logits.dtype()), NotImplemented, "[cross_entropy] expected floating logits, got ",
              dtype_name(logits.dtype()));
  EMBER_CHECK(target.dtype() == DType::Int64, Runtime, "[cross_entropy] expected target of dtype ember.int64 "
              "(class indices), got ", dtype_name(target.dtype()), "; probability targets are not supported");
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, Runtime,
              "[cross_entropy] label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  check_same_device("cross_entropy", logits, target);
  EMBER_CHECK(logits.dim() >= 1, Runtime, "[cross_entropy] expected logits of shape (C,), (N, C) or (N, C, d1, ...), "
              "got ", shape_str(logits.sizes()));
  if (logits.dim() == 1) {  // one sample: logits (C,), target ()
    EMBER_CHECK(target.dim() == 0, Value, "[cross_entropy] logits of shape ", shape_str(logits.sizes()),
                " need a 0-d target, got target of shape ", shape_str(target.sizes()));
    Tensor out = cross_entropy_rows(unsqueeze(logits, 0), reshape(target, {1}), reduction, ignore_index,
                                    label_smoothing);
    return reduction == Reduction::None ? reshape(out, {}) : out;
  }
  if (logits.dim() == 2) return cross_entropy_rows(logits, target, reduction, ignore_index, label_smoothing);
  // (N, C, d1, ...) with target (N, d1, ...): classes moved last, every position a row.
  Shape expected = logits.sizes();
  expected.erase(expected.begin() + 1);
  EMBER_CHECK(target.sizes() == expected, Value, "[cross_entropy] expected target of shape ", shape_str(expected),
              " for logits of shape ", shape_str(logits.sizes()), ", got ", shape_str(target.sizes()));
  DimList order{0};
  for (int64_t i = 2; i < logits.dim(); ++i) order.push_back(i);
  order.push_back(1);
  Tensor rows = reshape(permute(logits, order), {-1, logits.size(1)});
  Tensor out = cross_entropy_rows(rows, reshape(target, {-1}), reduction, ignore_index, label_smoothing);
  return reduction == Reduction::None ? reshape(out, expected) : out;
}

}  // namespace ember
