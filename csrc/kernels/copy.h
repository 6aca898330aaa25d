// Copies, selects and fills: kernels/cpu/copy.cpp and its CUDA twin kernels/cuda/copy.cu. Raw
// pointers and a LoopShape in, no TensorImpl, no Python; on CUDA, device pointers, queued on the
// current device's stream, nothing waits.
#pragma once
#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "kernels/loop_shape.h"
#include "kernels/twins.h"

#define EMBER_COPY_KERNELS                                                                          \
  /* out = x converted from `src` to `dst` dtype; this is also the strided copy. */                 \
  void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop);                 \
  /* out = cond ? a : b (cond is Bool; a, b, out of `dtype`). */                                    \
  void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& loop); \
  /* Fills a contiguous buffer of n elements. */                                                    \
  void fill(DType dtype, void* out, int64_t n, double value);

EMBER_DECLARE_TWINS(EMBER_COPY_KERNELS)

namespace ember::kernels {

// A fill value (a double) in the element type, converted on the host by both twins. A narrower
// integer takes the value through int64, so it wraps as PyTorch's does (int32 * 2**40 is 0),
// where a direct double -> int32 conversion out of range is undefined.
template <typename T>
T fill_value(double value) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) < sizeof(int64_t))
    return static_cast<T>(static_cast<int64_t>(value));
  else
    return static_cast<T>(value);
}

}  // namespace ember::kernels
