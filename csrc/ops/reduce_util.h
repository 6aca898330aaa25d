// Shared by the reductions: which dims are reduced, and the shape of the result.
#pragma once
#include <vector>

#include "core/tensor.h"
#include "ops/ops.h"

namespace ember {

struct ReducePlan {
  std::vector<bool> reduced;  // per input dim
  Shape out_keepdim;          // result shape with reduced dims kept as 1
  Shape out;                  // result shape as the user asked (keepdim or not)
  int64_t outer = 1;          // product of kept dims
  int64_t inner = 1;          // product of reduced dims
  bool keepdim = false;
};

// An empty `dims` means every dim. Repeated dims are an error naming the op.
ReducePlan plan_reduction(const char* op, const Tensor& t, const DimList& dims, bool keepdim);

// Note [Reducing stride-0 dims] (ops/reduce.cpp): `t` with each stride-0 dim of size > 1 (an
// expand()ed tensor's) narrowed to size 1, a view of its distinct values, and the same reduction
// of that view. Reduced stride-0 dims are narrowed only when `reduced_too`.
struct Stride0Narrowed {
  Tensor distinct;      // t itself when nothing was narrowed
  ReducePlan plan;      // the plan over `distinct`: same dims, same keepdim
  int64_t repeats = 1;  // how often each value of `distinct` repeats along the reduced dims
  bool narrowed = false;
};
Stride0Narrowed narrow_stride0(const Tensor& t, const ReducePlan& plan, bool reduced_too = true);
// A reduction of Stride0Narrowed::distinct as the reduction of the whole tensor: `r` itself, or,
// where kept dims were narrowed, r expanded into a new tensor of plan.out. No autograd.
Tensor expand_reduced(const Tensor& r, const ReducePlan& plan);
// n as a 0-d integer tensor (Int64 or Int32, cut to 32 bits) on `device`: a Scalar holds a double,
// exact only up to 2^53, and the counts of a stride-0 tensor can pass that.
Tensor exact_count(int64_t n, DType dtype, Device device);
// r *= n in place, exactly for integers (which wrap as n additions would). No autograd.
void scale_by_repeats(Tensor& r, int64_t n);
// r = r^n in place, exactly for integers (which wrap as n multiplications would). No autograd.
void power_by_repeats(Tensor& r, int64_t n);

// `t` laid out as a contiguous [outer, inner] block: kept dims first, reduced dims last
// (a view when t already is, else a copy). No autograd: a kernel input.
Tensor kept_then_reduced(const Tensor& t, const ReducePlan& plan);

// The reduced dims, in order (every dim for a full reduction).
DimList reduced_dims(const ReducePlan& plan);


// Undoes keepdim=False on a gradient: re-inserts the reduced dims as size 1.
Tensor unsqueeze_reduced(const Tensor& g, const ReducePlan& plan);

}  // namespace ember
