// Moving tensors between devices (.to(device), .cuda(), .cpu()) and pinning host memory.
// Bytes move as one contiguous block; a strided source is made contiguous on its own device
// first (by the copy kernel there), so the bus never carries elements the tensor does not have.
#include <cstring>

#include "autograd/function_node.h"
#include "core/cuda_backend.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

Tensor copy_across(const Tensor& t, Device device, bool non_blocking) {
  if (device.is_cuda()) cuda::check_device("to", device);
  Tensor src = t.is_contiguous() ? t : contiguous_clone(t);
  Tensor out = empty(t.sizes(), t.dtype(), device);
  cuda::copy_bytes(out.raw_data(), device, src.raw_data(), src.device(),
                   static_cast<size_t>(t.numel()) * itemsize(t.dtype()), non_blocking);
  return out;
}

}  // namespace

Tensor to_device(const Tensor& t, Device device, bool non_blocking) {
  if (t.device() == device) return t;
  Tensor out = copy_across(t, device, non_blocking);
  if (is_floating(t.dtype()) && autograd::needs_grad(t)) {
    Device from = t.device();
    autograd::record("ToCopyBackward0", {out}, {t}, {}, [from](const BackwardArgs& c) -> tensor_list {
      return {to_device(c.grad(), from)};
    });
  }
  return out;
}

Tensor pin_memory(const Tensor& t) {
  EMBER_CHECK(t.device().is_cpu(), Runtime, "[pin_memory] cannot pin '", t.device().str(),
              "' memory: only dense CPU tensors can be pinned");
  if (is_pinned(t)) return t;
  Tensor src = t.is_contiguous() ? t : contiguous_clone(t);
  size_t nbytes = static_cast<size_t>(t.numel()) * itemsize(t.dtype());
  auto storage = std::make_shared<Storage>(cuda::allocate_pinned(nbytes), nbytes, cpu_device());
  if (nbytes) std::memcpy(storage->data(), src.raw_data(), nbytes);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, t.sizes(), contiguous_strides(t.sizes()), t.dtype()));
}

bool is_pinned(const Tensor& t) { return t.device().is_cpu() && cuda::is_pinned(t->storage()->data()); }

}  // namespace ember
