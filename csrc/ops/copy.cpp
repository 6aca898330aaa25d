// Copies and casts: contiguous(), clone(), .to(dtype), copy_().
#include "autograd/function_node.h"
#include "autograd/inplace.h"
#include "core/cuda_backend.h"
#include "kernels/copy.h"
#include "kernels/dispatch.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

void copy_into(const Tensor& dst, const Tensor& src) {
  // Across devices: the source's bytes move first, then the copy kernel of dst's device
  // broadcasts and casts them into place.
  if (dst.device() != src.device()) return copy_into(dst, to_device(detach(src), dst.device()));
  Shape shape = broadcast_shapes("copy_", dst.sizes(), src.sizes());
  EMBER_CHECK(shape == dst.sizes(), Runtime, "[copy_] source of shape ", shape_str(src.sizes()),
              " cannot be broadcast to destination of shape ", shape_str(dst.sizes()));
  EMBER_DISPATCH_KERNEL(dst.device(), copy, dst.dtype(), src.dtype(), dst.raw_data(), src.raw_data(),
                        make_loop(dst, {&src}));
}

Tensor contiguous_clone(const Tensor& t) {
  Tensor out = empty(t.sizes(), t.dtype(), t.device());
  copy_into(out, t);
  return out;
}

Tensor clone(const Tensor& t) {
  Tensor out = contiguous_clone(t);
  if (autograd::needs_grad(t))
    autograd::record("CloneBackward0", {out}, {t}, {}, [](const BackwardArgs& c) -> tensor_list { return {c.grad()}; });
  return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty(t.sizes(), dtype, t.device());
  copy_into(out, t);
  if (is_floating(dtype) && autograd::needs_grad(t)) {
    DType from = t.dtype();
    autograd::record("ToCopyBackward0", {out}, {t}, {}, [from](const BackwardArgs& c) -> tensor_list {
      return {to_dtype(c.grad(), from)};
    });
  }
  return out;
}

Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking) {
  if (self.device() != src.device()) {
    if (!autograd::needs_grad(self, src) && self.dtype() == src.dtype() && self.sizes() == src.sizes() &&
        self.is_contiguous() && src.is_contiguous()) {
      // The bytes go straight into self: a transfer, no staging tensor and no kernel (a batch into
      // a captured graph's static input, Note [Capturing a step]).
      check_inplace("copy_", self, false);
      cuda::copy_bytes(self.raw_data(), self.device(), src.raw_data(), src.device(),
                       static_cast<size_t>(self.numel()) * itemsize(self.dtype()), non_blocking);
      self->bump_version();
      return self;
    }
    Tensor moved = to_device(src, self.device(), non_blocking);  // differentiable: the gradient moves back
    return copy_(self, moved);
  }
  check_no_internal_overlap("copy_", self);
  check_no_partial_overlap("copy_", self, src);
  check_inplace("copy_", self, src.requires_grad());
  if (autograd::needs_grad(self, src)) {
    // The new value of self is src (broadcast, cast): the gradient flows to src, and self's old
    // value, overwritten, gets zeros (as PyTorch's CopyBackwards: x.grad is 0, not None).
    Tensor value = contiguous_clone(expand(detach(src), self.sizes()));
    if (value.dtype() != self.dtype()) value = to_dtype(value, self.dtype());
    Shape src_shape = src.sizes();
    DType src_dtype = src.dtype();
    autograd::record("CopyBackwards", {value}, {self, src}, {}, [src_shape, src_dtype](const BackwardArgs& c) -> tensor_list {
      return {c.needs[0] ? zeros_like(c.grad()) : Tensor(),
              c.needs[1] ? to_dtype(sum_to(c.grad(), src_shape), src_dtype) : Tensor()};
    });
    commit_inplace("copy_", self, value);
    return self;
  }
  copy_into(self, src);
  self->bump_version();
  return self;
}

}  // namespace ember
