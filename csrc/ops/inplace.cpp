#include "ops/inplace.h"

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ember {

void check_inplace(const char* op, const Tensor& self, bool other_requires_grad) {
  if (!autograd::GradMode::is_enabled()) return;
  EMBER_CHECK(!(self->is_leaf() && self->requires_grad()), Runtime, "[", op,
              "] a leaf Variable that requires grad is being used in an in-place operation.");
  const Tensor& base = self->view_base();
  if (base.defined()) {
    EMBER_CHECK(!(base->is_leaf() && base.requires_grad()), Runtime, "[", op,
                "] a view of a leaf Variable that requires grad is being used in an in-place operation.");
    EMBER_CHECK(!(base.requires_grad() || other_requires_grad), NotImplemented, "[", op,
                "] in-place operations on a view of a tensor that takes part in autograd are not "
                "supported yet; use the out-of-place op");
  }
}

Tensor original_self(const Tensor& self) {
  Tensor copy = contiguous_clone(self);
  if (self->grad_fn()) copy->set_history(self->grad_fn(), self->output_nr());
  return copy;
}

void commit_inplace(const char* op, Tensor& self, const Tensor& result) {
  EMBER_CHECK(result.sizes() == self.sizes(), Runtime, "[", op, "] output with shape ",
              shape_str(self.sizes()), " doesn't match the broadcast shape ", shape_str(result.sizes()));
  copy_into(self, result);
  self->bump_version();
  if (result->grad_fn()) self->set_history(result->grad_fn(), result->output_nr());
}

}  // namespace ember
