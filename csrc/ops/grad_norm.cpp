// The two native steps of clip_grad_norm_ on a list of gradients: their joint norm as a 0-d
// tensor on their device, and an in-place scale of them all by a 0-d tensor. Neither reads a
// value back to the host, so clipping on CUDA never waits for the device (PyTorch's behaviour:
// the clip coefficient stays a device tensor). Note [Gradient norm in partial sums] says how the
// norm is reduced.
#include <cmath>
#include <vector>

#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/grad_norm.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

namespace {

constexpr const char* kOp = "clip_grad_norm_";

void check_grads(const tensor_list& grads) {
  EMBER_CHECK(!grads.empty(), Value, "[", kOp, "] expected at least one gradient");
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    EMBER_CHECK(g.defined(), Value, "[", kOp, "] gradient ", i, " is None");
    EMBER_CHECK(is_floating(g.dtype()), Type, "[", kOp, "] gradient ", i, " has dtype ", dtype_name(g.dtype()),
                "; expected a floating dtype");
    check_same_device(kOp, grads[0], g);
  }
}

template <class F>
void each_dtype(const std::vector<kernels::GradSlot>& f32, const std::vector<kernels::GradSlot>& f64, F f) {
  if (!f32.empty()) f(DType::Float32, f32);
  if (!f64.empty()) f(DType::Float64, f64);
}

}  // namespace

Tensor grad_norm(const tensor_list& grads, double norm_type) {
  check_grads(grads);
  EMBER_CHECK(norm_type > 0.0 && !std::isnan(norm_type), NotImplemented, "[", kOp,
              "] norm_type must be a positive number or inf on this path, got ", norm_type);
  autograd::AutoGradMode no_grad(false);
  const Device device = grads[0].device();
  const kernels::GradNorm norm = kernels::GradNorm::of(norm_type);
  tensor_list keep;  // contiguous copies of strided gradients, alive until the kernels are queued
  std::vector<kernels::GradSlot> f32, f64;
  for (const Tensor& g : grads) {
    keep.push_back(contiguous(g));
    (g.dtype() == DType::Float32 ? f32 : f64).push_back({g.numel(), keep.back().raw_data()});
  }
  const int64_t count = kernels::norm_partial_count(f32) + kernels::norm_partial_count(f64);
  Tensor partials = empty({count}, DType::Float64, device);  // from the device pool on CUDA
  double* base = static_cast<double*>(partials.raw_data());  // a device pointer on CUDA
  int64_t offset = 0;
  each_dtype(f32, f64, [&](DType dtype, const std::vector<kernels::GradSlot>& slots) {
    EMBER_DISPATCH_KERNEL(device, grad_norm_partials, dtype, slots, norm, base + offset);
    offset += kernels::norm_partial_count(slots);
  });
  // As torch: the norms of all gradients are combined in the first gradient's dtype.
  Tensor total = empty({}, grads[0].dtype(), device);
  EMBER_DISPATCH_KERNEL(device, grad_norm_finish, total.dtype(), base, count, norm, total.raw_data());
  return total;
}

void scale_grads_(const tensor_list& grads, const Tensor& scale) {
  check_grads(grads);
  EMBER_CHECK(scale.defined() && scale.numel() == 1 && is_floating(scale.dtype()), Runtime, "[", kOp,
              "] the scale must be a one-element floating tensor");
  check_same_device(kOp, grads[0], scale);
  autograd::AutoGradMode no_grad(false);
  const Device device = grads[0].device();
  tensor_list work;  // each gradient, or a contiguous copy written back below
  std::vector<kernels::GradSlot> f32, f64;
  for (const Tensor& g : grads) {
    work.push_back(g.is_contiguous() ? g : contiguous_clone(g));
    (g.dtype() == DType::Float32 ? f32 : f64).push_back({g.numel(), work.back().raw_data()});
  }
  each_dtype(f32, f64, [&](DType dtype, const std::vector<kernels::GradSlot>& slots) {
    Tensor s = cast_for_kernel(contiguous(scale), dtype);  // queued on the device, no sync
    EMBER_DISPATCH_KERNEL(device, scale_group, dtype, slots, s.raw_data());
  });
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!work[i].is_same(grads[i])) copy_into(grads[i], work[i]);
    grads[i]->bump_version();
  }
}

}  // namespace ember
