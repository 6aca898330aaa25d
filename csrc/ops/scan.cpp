// cumsum, cumprod, logcumsumexp (and the reversed scans their backward formulas use), with
// PyTorch's gradients: cumsum's is a reversed cumsum; cumprod's handles zeros in the input
// (Note [cumprod gradient with zeros]); logcumsumexp's splits the gradient by sign.
#include <limits>

#include "autograd/function_node.h"
#include "autograd/inplace.h"
#include "kernels/dispatch.h"
#include "kernels/scan.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;
using kernels::ScanKind;

namespace {

const char* scan_name(ScanKind kind) {
  switch (kind) {
    case ScanKind::Sum: return "cumsum";
    case ScanKind::Prod: return "cumprod";
    case ScanKind::LogSumExp: return "logcumsumexp";
  }
  return "scan";
}

Tensor fill_like(const Tensor& t, double v) { return scalar_tensor(Scalar{v, ScalarKind::Float}, t.dtype(), t.device()); }

// The scan of x (already in the result dtype) along dim; no autograd.
Tensor scan_forward(ScanKind kind, bool reverse, const Tensor& x, int64_t dim) {
  const int64_t d = wrap_dim(dim, x.dim());
  int64_t outer = 1, len = 1, inner = 1;  // x as a contiguous [outer, len, inner] block
  for (int64_t i = 0; i < x.dim(); ++i) {
    const int64_t s = x.sizes()[i];
    if (i < d) outer *= s;
    else if (i == d) len = s;
    else inner *= s;
  }
  Tensor src = x.is_contiguous() ? x : contiguous_clone(x);
  Tensor y = empty(x.sizes(), x.dtype(), x.device());
  if (y.numel() > 0)
    EMBER_DISPATCH_KERNEL(y.device(), scan, x.dtype(), kind, reverse, y.raw_data(), src.raw_data(), outer, len, inner);
  return y;
}

// Note [cumprod gradient with zeros]: y_i = x_0 ... x_i (in the scan's direction), so
//   dx_k = sum_{i >= k} g_i prod_{j <= i, j != k} x_j.
// Where x_k != 0 that is rcumsum(g * y)_k / x_k. Past the first zero z every product holds
// x_z = 0, so dx_k = 0 for a later zero k; at z itself the product skips x_z:
//   dx_z = sum_{i >= z} g_i y'_i, with y' the cumprod of x with x_z replaced by 1.
// Written in ember ops (no host sync to look for zeros), so it is differentiable again.
Tensor cumprod_backward(const Tensor& x, const Tensor& y, const Tensor& g, int64_t dim, bool reverse) {
  Tensor zero = binary(BinaryOp::Eq, x, Scalar{0, ScalarKind::Float});
  Tensor one = fill_like(x, 1);
  Tensor x_safe = where(zero, one, x);
  Tensor nonzero_part = cumulative(g * y, dim, ScanKind::Sum, !reverse) / x_safe;
  Tensor zeros_so_far = cumulative(to_dtype(zero, DType::Int64), dim, ScanKind::Sum, reverse);
  Tensor first_zero = binary(BinaryOp::Mul, zero, binary(BinaryOp::Eq, zeros_so_far, Scalar{1, ScalarKind::Int}));
  Tensor y_skip = cumulative(where(first_zero, one, x), dim, ScanKind::Prod, reverse);
  Tensor zero_part = cumulative(g * y_skip, dim, ScanKind::Sum, !reverse);
  return where(zero, where(first_zero, zero_part, fill_like(g, 0)), nonzero_part);
}

// dx_k = sum_{i >= k} g_i exp(x_k - y_i), summed in log space for the positive and the negative
// parts of g apart (as PyTorch does), so no exp(-y) overflows. Where g has the other sign its
// log is the dtype's lowest finite value rather than log(0) = -inf, so the second derivative
// (through log|g|) meets no 0 * inf.
Tensor logcumsumexp_backward(const Tensor& x, const Tensor& y, const Tensor& g, int64_t dim, bool reverse) {
  const double lowest = g.dtype() == DType::Float32 ? std::numeric_limits<float>::lowest()
                                                    : std::numeric_limits<double>::lowest();
  Tensor log_abs_g = log(unary(UnaryOp::Abs, g));
  auto part = [&](BinaryOp sign) {  // the gradient from the elements of g with that sign
    Tensor log_gp = where(binary(sign, g, Scalar{0, ScalarKind::Float}), log_abs_g, fill_like(g, lowest));
    return exp(x + cumulative(log_gp - y, dim, ScanKind::LogSumExp, !reverse));
  };
  return part(BinaryOp::Gt) - part(BinaryOp::Lt);
}

}  // namespace

Tensor cumulative(const Tensor& x, int64_t dim, ScanKind kind, bool reverse) {
  const char* op = scan_name(kind);
  wrap_dim(dim, x.dim());
  EMBER_CHECK(kind != ScanKind::LogSumExp || is_floating(x.dtype()), NotImplemented, "[", op,
              "] not implemented for ", dtype_name(x.dtype()));
  EMBER_INTERNAL_ASSERT(x.dtype() != DType::Bool, op);
  Tensor y = scan_forward(kind, reverse, x, dim);
  if (is_floating(x.dtype()) && autograd::needs_grad(x)) {
    switch (kind) {
      case ScanKind::Sum:  // d y_i / d x_k = 1 for k <= i: the gradient is the reversed cumsum
        autograd::record("CumsumBackward0", {y}, {x}, {}, [dim, reverse](const BackwardArgs& c) -> tensor_list {
          return {cumulative(c.grad(), dim, ScanKind::Sum, !reverse)};
        });
        break;
      case ScanKind::Prod:
        autograd::record("CumprodBackward0", {y}, {x}, {x, y}, [dim, reverse](const BackwardArgs& c) -> tensor_list {
          return {cumprod_backward(c.saved[0], c.saved[1], c.grad(), dim, reverse)};
        });
        break;
      case ScanKind::LogSumExp:
        autograd::record("LogcumsumexpBackward0", {y}, {x}, {x, y}, [dim, reverse](const BackwardArgs& c) -> tensor_list {
          return {logcumsumexp_backward(c.saved[0], c.saved[1], c.grad(), dim, reverse)};
        });
        break;
    }
  }
  return y;
}

// PyTorch's dtype rule for cumsum/cumprod: `dtype` if given, else integers and bool go to int64.
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  DType out = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  EMBER_CHECK(out != DType::Bool, NotImplemented, "[cumsum] not implemented for ", dtype_name(out));
  return cumulative(to_dtype(x, out), dim, ScanKind::Sum, false);
}

Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  DType out = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  EMBER_CHECK(out != DType::Bool, NotImplemented, "[cumprod] not implemented for ", dtype_name(out));
  return cumulative(to_dtype(x, out), dim, ScanKind::Prod, false);
}

Tensor logcumsumexp(const Tensor& x, int64_t dim) { return cumulative(x, dim, ScanKind::LogSumExp, false); }

// In place: the result must have self's dtype (PyTorch: "Bad in-place call").
Tensor& cumsum_(Tensor& self, int64_t dim, std::optional<DType> dtype) {
  EMBER_CHECK(!dtype || *dtype == self.dtype(), Runtime, "[cumsum_] Bad in-place call: input tensor dtype ",
              dtype_name(self.dtype()), " and output tensor dtype ", dtype_name(*dtype), " should match");
  EMBER_CHECK(self.dtype() != DType::Bool, Runtime, "[cumsum_] result type ", dtype_name(DType::Int64),
              " can't be cast to the desired output type ", dtype_name(self.dtype()));
  check_inplace("cumsum_", self, false);
  if (autograd::needs_grad(self)) {
    commit_inplace("cumsum_", self, cumsum(original_self(self), dim, std::nullopt));
    return self;
  }
  Tensor y = scan_forward(ScanKind::Sum, false, self, dim);
  copy_into(self, y);
  self->bump_version();
  return self;
}

}  // namespace ember
