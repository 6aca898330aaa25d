// Turns tensors into the plain LoopShape an elementwise kernel iterates over.
#pragma once
#include <initializer_list>

#include "core/tensor.h"
#include "kernels/loop_shape.h"

namespace ember {

// Operand 0 is `out`; each input is broadcast to out's shape (stride 0 on broadcast dims).
// Adjacent dims that are contiguous in every operand are merged, so a contiguous op is one flat loop.
kernels::LoopShape make_loop(const Tensor& out, std::initializer_list<const Tensor*> inputs);

// Strides of `t` viewed at the broadcast shape `sizes` (0 where t is broadcast).
Shape broadcast_strides(const Tensor& t, const Shape& sizes);

// Same device for every operand of one op, or RuntimeError naming the op and both devices.
void check_same_device(const char* op, const Tensor& a, const Tensor& b);

// A tensor's memory as T*, on whatever device it lives (Tensor::data<T>() is for host reads only).
template <typename T>
T* typed_ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// `t` itself when it has `dtype`, else a contiguous converted copy (no autograd: a kernel input).
Tensor cast_for_kernel(const Tensor& t, DType dtype);

}  // namespace ember
