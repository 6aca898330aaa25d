// Note [In-place ops and autograd]
// An in-place op writes into `self` and bumps its version (Note [Version counter]). When autograd
// is not involved it runs the kernel straight into self's memory. When it is, ember computes the
// op out of place (which records its node), copies the result into self, and moves self's history
// onto that node ("rebasing"), so later ops see self as the output of the in-place op.
// In-place on a leaf that requires grad (or on a view of one) is an error, as in PyTorch; views
// of non-leaf tensors taking part in autograd are not supported yet and say so.
#pragma once
#include <functional>

#include "core/tensor.h"

namespace ember {

// Raises the PyTorch errors for in-place writes into `self` under autograd.
void check_inplace(const char* op, const Tensor& self, bool other_requires_grad);

// Copies `result` (the out-of-place value, carrying the new history) into self and rebases.
void commit_inplace(const char* op, Tensor& self, const Tensor& result);

}  // namespace ember
