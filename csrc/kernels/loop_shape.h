// LoopShape: the iteration space of an elementwise kernel as plain numbers: sizes and, per
// operand, strides in elements (0 where an input is broadcast). Operand 0 is the output.
// The ops layer builds it from tensors (ops/loop_builder.cpp); kernels see only this.
#pragma once
#include <cstdint>
#include <cstring>

namespace ember::kernels {

constexpr int kMaxLoopDims = 16;
constexpr int kMaxOperands = 4;

struct LoopShape {
  int ndim = 0;    // after coalescing; 0 means a single element
  int noperands = 0;
  int64_t sizes[kMaxLoopDims];
  int64_t strides[kMaxOperands][kMaxLoopDims];
  // Note [Scalars by value]: an input whose pointer is null is a scalar (a Python number), and its
  // value, in the kernel's element type, is here: it travels with the kernel's arguments instead of
  // as a 0-d tensor, which would cost an allocation per use (and on CUDA a fill kernel). Its
  // strides are 0. Both twins read it: the CUDA kernel at each element, the CPU kernel through a
  // pointer. The binary kernels take it (ops/binary.cpp).
  int64_t scalar_bits[kMaxOperands] = {0, 0, 0, 0};
  template <typename T>
  void set_scalar(int k, T value) {
    static_assert(sizeof(T) <= sizeof(int64_t));
    std::memcpy(&scalar_bits[k], &value, sizeof(T));
  }
  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
};

// Calls row(offsets, n, inner_strides) once per innermost row: offsets[k] is operand k's element
// offset of the row's first element. Outer dims advance with counters, never divisions.
template <typename Row>
inline void for_each_row(const LoopShape& s, Row&& row) {
  const int nop = s.noperands;
  if (s.ndim == 0) {
    int64_t zero[kMaxOperands] = {0, 0, 0, 0};
    int64_t unit[kMaxOperands] = {0, 0, 0, 0};
    row(zero, int64_t(1), unit);
    return;
  }
  const int inner = s.ndim - 1;
  int64_t inner_strides[kMaxOperands];
  for (int k = 0; k < nop; ++k) inner_strides[k] = s.strides[k][inner];
  int64_t counter[kMaxLoopDims] = {0};
  int64_t offsets[kMaxOperands] = {0, 0, 0, 0};
  int64_t outer = 1;
  for (int d = 0; d < inner; ++d) outer *= s.sizes[d];
  for (int64_t r = 0; r < outer; ++r) {
    row(offsets, s.sizes[inner], inner_strides);
    // Advance the outer counter like an odometer, updating offsets incrementally.
    for (int d = inner - 1; d >= 0; --d) {
      if (++counter[d] < s.sizes[d]) {
        for (int k = 0; k < nop; ++k) offsets[k] += s.strides[k][d];
        break;
      }
      for (int k = 0; k < nop; ++k) offsets[k] -= s.strides[k][d] * (s.sizes[d] - 1);
      counter[d] = 0;
    }
  }
}

}  // namespace ember::kernels
