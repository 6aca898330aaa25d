// Tensors made from nothing but a shape and a value: zeros, ones, full, arange, linspace, eye.
#include <cmath>

#include "kernels/copy.h"
#include "kernels/dispatch.h"
#include "ops/ops.h"

namespace ember {

// Note [Host-built factories on CUDA]: arange, linspace, eye (and randperm, ops/random.cpp) have
// no CUDA kernel: a CUDA tensor of theirs is built on the host, by the same loop as the CPU one,
// and copied over. The copy is queued and never waits for the device (Note [Host-to-device
// copies], core/cuda/runtime.cpp), so there is no sync, and both devices hold the same values.
namespace {
template <typename Build>
Tensor cuda_from_host(const char* op, Device device, Build build) {
  cuda::check_device(op, device);  // on a machine without a GPU, say so before building anything
  return to_device(build(), device);
}
}  // namespace

namespace {
// full under the name of the factory the user called, which is what a bad size's error names.
Tensor filled(const char* op, const Shape& sizes, Scalar value, DType dtype, Device device) {
  // NaN, inf or a number past int64's range has no integer value (the cast would be undefined):
  // PyTorch refuses it, so full(nan, dtype=int64) and masked_fill(int_tensor, mask, nan) raise.
  EMBER_CHECK(!is_integral(dtype) || (value.value >= -9223372036854775808.0 && value.value < 9223372036854775808.0),
              Runtime, "[", op, "] value cannot be converted to type ", dtype_name(dtype), " without overflow: ",
              value.value);
  Tensor t = empty(sizes, dtype, device, op);
  EMBER_DISPATCH_KERNEL(t.device(), fill, dtype, t.raw_data(), t.numel(), value.value);
  return t;
}
}  // namespace

Tensor full(const Shape& sizes, Scalar value, DType dtype, Device device) { return filled("full", sizes, value, dtype, device); }
Tensor zeros(const Shape& sizes, DType dtype, Device device) {
  return filled("zeros", sizes, Scalar{0, ScalarKind::Int}, dtype, device);
}
Tensor ones(const Shape& sizes, DType dtype, Device device) {
  return filled("ones", sizes, Scalar{1, ScalarKind::Int}, dtype, device);
}
Tensor zeros_like(const Tensor& t) { return zeros(t.sizes(), t.dtype(), t.device()); }
Tensor ones_like(const Tensor& t) { return ones(t.sizes(), t.dtype(), t.device()); }
Tensor scalar_tensor(Scalar value, DType dtype, Device device) { return full({}, value, dtype, device); }

void check_fits(const char* op, Scalar value, DType dtype) {
  if (!is_integral(dtype)) return;
  const double lo = dtype == DType::Int32 ? -2147483648.0 : -9223372036854775808.0;
  const double hi = dtype == DType::Int32 ? 2147483647.0 : 9223372036854775807.0;
  const double v = value.value;
  EMBER_CHECK(!std::isnan(v) && v >= lo && v <= hi, Runtime, "[", op, "] value cannot be converted to type ",
              dtype_name(dtype) + 6, " without overflow");  // + 6 drops "ember."
}

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  EMBER_CHECK(step != 0, Runtime, "[arange] step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end), Runtime, "[arange] unsupported range: ", start, " -> ", end);
  EMBER_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), Runtime,
              "[arange] upper bound and larger bound inconsistent with step sign (start=", start, ", end=", end,
              ", step=", step, ")");
  double count = std::ceil((end - start) / step);
  // A count past int64 (or a NaN one: a step of 1e-320) has no size; PyTorch's message. One that
  // fits is for empty() to refuse, as too many bytes or too much memory.
  EMBER_CHECK(count >= 0 && count < 9223372036854775807.0, Runtime, "[arange] invalid size, possible overflow? "
              "(start=", start, ", end=", end, ", step=", step, ")");
  int64_t n = static_cast<int64_t>(count);
  if (!device.is_cpu())
    return cuda_from_host("arange", device, [&] { return arange(start, end, step, dtype, cpu_device()); });
  Tensor t = empty({n}, dtype, device, "arange");
  EMBER_DISPATCH_NUMERIC(dtype, "arange", [&] {
    auto* p = t.data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, Runtime, "[linspace] number of steps must be non-negative, got ", steps);
  if (!device.is_cpu())
    return cuda_from_host("linspace", device, [&] { return linspace(start, end, steps, dtype, cpu_device()); });
  Tensor t = empty({steps}, dtype, device, "linspace");
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  EMBER_DISPATCH_NUMERIC(dtype, "linspace", [&] {
    auto* p = t.data<scalar_t>();
    // Fill from both ends so the last value is exactly `end`, as PyTorch does.
    int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<scalar_t>(i < half ? start + step * static_cast<double>(i)
                                            : end - step * static_cast<double>(steps - 1 - i));
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  EMBER_CHECK(n >= 0 && m >= 0, Runtime, "[eye] n and m must be non-negative, got ", n, " and ", m);
  if (!device.is_cpu()) return cuda_from_host("eye", device, [&] { return eye(n, m, dtype, cpu_device()); });
  Tensor t = zeros({n, m}, dtype, device);
  EMBER_DISPATCH_ALL(dtype, "eye", [&] {
    auto* p = t.data<scalar_t>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<scalar_t>(1);
  });
  return t;
}

}  // namespace ember
