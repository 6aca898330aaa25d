#include "ops/loop_builder.h"

#include "kernels/copy.h"
#include "kernels/dispatch.h"

namespace ember {

Shape broadcast_strides(const Tensor& t, const Shape& sizes) {
  const int64_t nd = static_cast<int64_t>(sizes.size()), td = t.dim();
  Shape strides(nd, 0);
  for (int64_t i = 0; i < td; ++i) {
    int64_t o = nd - td + i;
    strides[o] = t.sizes()[i] == 1 ? 0 : t.strides()[i];
  }
  return strides;
}

kernels::LoopShape make_loop(const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  kernels::LoopShape s;
  s.noperands = 1 + static_cast<int>(inputs.size());
  EMBER_INTERNAL_ASSERT(s.noperands <= kernels::kMaxOperands);
  const Shape& sizes = out.sizes();
  Shape op_strides[kernels::kMaxOperands];
  op_strides[0] = out.strides();
  int k = 1;
  for (const Tensor* in : inputs) op_strides[k++] = broadcast_strides(*in, sizes);
  // Keep dims of size > 1, merging a dim into the previous kept one where every operand allows.
  int nd = 0;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    bool merge = nd > 0;
    for (int j = 0; j < s.noperands && merge; ++j)
      merge = s.strides[j][nd - 1] == op_strides[j][d] * sizes[d];
    if (merge) {
      s.sizes[nd - 1] *= sizes[d];
      for (int j = 0; j < s.noperands; ++j) s.strides[j][nd - 1] = op_strides[j][d];
    } else {
      s.sizes[nd] = sizes[d];
      for (int j = 0; j < s.noperands; ++j) s.strides[j][nd] = op_strides[j][d];
      ++nd;
    }
  }
  s.ndim = nd;
  if (out.numel() == 0) {  // nothing to do: an empty loop
    s.ndim = 1;
    s.sizes[0] = 0;
    for (int j = 0; j < s.noperands; ++j) s.strides[j][0] = 1;
  }
  return s;
}

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", a.device().str(), " and ",
              b.device().str());
}

Tensor cast_for_kernel(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty(t.sizes(), dtype, t.device());
  EMBER_DISPATCH_KERNEL(out.device(), copy, dtype, t.dtype(), out.raw_data(), t.raw_data(), make_loop(out, {&t}));
  return out;
}

}  // namespace ember
