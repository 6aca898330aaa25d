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
};

// An empty `dims` means every dim. Repeated dims are an error naming the op.
ReducePlan plan_reduction(const char* op, const Tensor& t, const DimList& dims, bool keepdim);

// `t` laid out as a contiguous [outer, inner] block: kept dims first, reduced dims last
// (a view when t already is, else a copy). No autograd: a kernel input.
Tensor kept_then_reduced(const Tensor& t, const ReducePlan& plan);

// The reduced dims, in order (every dim for a full reduction).
DimList reduced_dims(const ReducePlan& plan);


// Undoes keepdim=False on a gradient: re-inserts the reduced dims as size 1.
Tensor unsqueeze_reduced(const Tensor& g, const ReducePlan& plan);

}  // namespace ember
