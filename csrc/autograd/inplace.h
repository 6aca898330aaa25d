// Note [In-place ops and autograd]
// An in-place op writes into `self` and bumps its version (Note [Version counter]). When autograd
// is not involved it runs the kernel straight into self's memory. When it is, ember computes the
// op out of place (which records its node), copies the result into self, and moves self's history
// onto that node ("rebasing"), so later ops see self as the output of the in-place op.
// In-place on a leaf that requires grad (or on a view of one) is an error, as in PyTorch; in-place
// on a view of a non-leaf rebases the base's history (Note [In-place ops on views (CopySlices)]).
//
// Note [Original self]
// The out-of-place op may save its input for backward (mul saves self when other requires grad,
// log/sin/clamp save x). Self is about to be overwritten, so such an op is given a copy of self's
// value that carries self's history; otherwise backward would report a spurious "modified by an
// inplace operation" error where PyTorch (which saves "original self" the same way) succeeds.
#pragma once
#include <functional>

#include "core/tensor.h"

namespace ember {

// Raises the PyTorch errors for in-place writes into `self` under autograd.
void check_inplace(const char* op, const Tensor& self, bool other_requires_grad);

// A copy of self's current value with self's autograd history (see Note [Original self]).
Tensor original_self(const Tensor& self);

// A view whose base has had new history since the view's own was built gets the history "region
// of the current base" (called by autograd::gradient_edge and check_inplace; Note [Stale views]).
void refresh_view_history(const Tensor& view);
// t's grad_fn after refresh_view_history: what Python's .grad_fn and .is_leaf report.
std::shared_ptr<autograd::Node> current_grad_fn(const Tensor& t);

// Copies `result` (the out-of-place value, carrying the new history) into self and rebases.
void commit_inplace(const char* op, Tensor& self, const Tensor& result);

}  // namespace ember
