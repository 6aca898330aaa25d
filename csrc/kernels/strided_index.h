// Where element `linear` (row-major over the loop's sizes) lies in each operand of a LoopShape.
// The CUDA elementwise kernels compute every element's offsets with this, one thread per element;
// it is a plain host function too, so CPU tests check the same arithmetic (_C._loop_offsets).
#pragma once
#include <cstdint>

#include "kernels/functors.h"
#include "kernels/loop_shape.h"

namespace ember::kernels {

// Note [32-bit index math]
// A GPU has no 64-bit integer divide: `/` and `%` on int64 compile to a long instruction sequence,
// paid per dimension per element, where the 32-bit ones are a few instructions. The loops an MLP
// makes (a bias row broadcast over a batch, a scalar operand, a column of per-row values) have far
// fewer than 2^32 elements, so the kernels split the element index in 32 bits whenever the loop's
// element count fits (fits_32bit_index), and keep the products with the strides in 64 bits.

// offsets[k] = sum over dims of index_d * strides[k][d], for k < s.noperands; Index is the type the
// element index is split in (uint32_t only when fits_32bit_index(s)).
template <typename Index>
EMBER_HD inline void element_offsets_as(const LoopShape& s, Index linear, int64_t* offsets) {
  for (int k = 0; k < kMaxOperands; ++k) offsets[k] = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const Index size = static_cast<Index>(s.sizes[d]);
    const Index index = linear % size;
    linear /= size;
    for (int k = 0; k < kMaxOperands; ++k)
      if (k < s.noperands) offsets[k] += static_cast<int64_t>(index) * s.strides[k][d];
  }
}

EMBER_HD inline void element_offsets(const LoopShape& s, int64_t linear, int64_t* offsets) {
  element_offsets_as<int64_t>(s, linear, offsets);
}

inline bool fits_32bit_index(const LoopShape& s) { return s.numel() <= int64_t(UINT32_MAX); }

// One flat loop with unit strides in every operand (or a single element): offsets are `linear`.
EMBER_HD inline bool is_flat(const LoopShape& s) {
  if (s.ndim == 0) return true;
  if (s.ndim != 1) return false;
  for (int k = 0; k < s.noperands; ++k)
    if (s.strides[k][0] != 1) return false;
  return true;
}

}  // namespace ember::kernels
