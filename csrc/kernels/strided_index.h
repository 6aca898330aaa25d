// Where element `linear` (row-major over the loop's sizes) lies in each operand of a LoopShape.
// The CUDA elementwise kernels compute every element's offsets with this, one thread per element;
// it is a plain host function too, so CPU tests check the same arithmetic (_C._loop_offsets).
#pragma once
#include <cstdint>

#include "kernels/functors.h"
#include "kernels/loop_shape.h"

namespace ember::kernels {

// offsets[k] = sum over dims of index_d * strides[k][d], for k < s.noperands.
EMBER_HD inline void element_offsets(const LoopShape& s, int64_t linear, int64_t* offsets) {
  for (int k = 0; k < kMaxOperands; ++k) offsets[k] = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const int64_t size = s.sizes[d];
    const int64_t index = linear % size;
    linear /= size;
    for (int k = 0; k < kMaxOperands; ++k)
      if (k < s.noperands) offsets[k] += index * s.strides[k][d];
  }
}

// One flat loop with unit strides in every operand (or a single element): offsets are `linear`.
EMBER_HD inline bool is_flat(const LoopShape& s) {
  if (s.ndim == 0) return true;
  if (s.ndim != 1) return false;
  for (int k = 0; k < s.noperands; ++k)
    if (s.strides[k][0] != 1) return false;
  return true;
}

}  // namespace ember::kernels
