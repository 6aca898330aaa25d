// Reductions over a contiguous [outer, inner] or [rows, cols] block: kernels/cpu/reduce.cpp and
// its CUDA twin kernels/cuda/reduce.cu give the same results (the shared maths is in
// kernels/reduce_functors.h). On CUDA, pointers are device pointers and nothing waits.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/twins.h"

#define EMBER_REDUCE_KERNELS                                                                        \
  /* out[i] = sum_j in[i * inner + j]   (reduce the last axis) */                                   \
  void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner);         \
  /* out[j] = sum_i in[i * cols + j]    (reduce the first axis: a bias gradient) */                 \
  void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols);          \
  /* out[i] = sum_j (x_ij - mean_i)^2 / max(0, inner - correction), two passes over each row.       \
     Floating dtypes only; float32 accumulates in double. */                                        \
  void var_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner, double correction); \
  /* out[i] = max_j (or min_j) in[i * inner + j]; NaN wins; among equal values (+0 and -0, or     \
     NaNs) the first index is taken, or the last when last_of_ties (Note [Max/min candidates]).    \
     `indices` (int64, may be null) gets the position. Requires inner > 0    \
     (the ops check this up front). */                                                              \
  void minmax_last_axis(DType dtype, bool is_max, bool last_of_ties, void* out, int64_t* indices, const void* in, \
                        int64_t outer, int64_t inner);                                              \
  /* out[i] = prod_j in[i * inner + j]; float32 multiplies in double, int64 wraps (ops/reduce_prod.cpp). */ \
  void prod_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner);

EMBER_DECLARE_TWINS(EMBER_REDUCE_KERNELS)
