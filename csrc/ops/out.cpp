// Tensor.resize_ (and, next, what an out= argument does with a result).
#include "ops/ops.h"

namespace ember {

Tensor& resize_tensor_(Tensor& t, const Shape& sizes) {
  EMBER_CHECK(!t.requires_grad(), Runtime, "cannot resize variables that require grad");
  if (resize_(t, sizes)) t->bump_version();  // PyTorch counts a resize that changes the sizes as a write
  return t;
}

}  // namespace ember
