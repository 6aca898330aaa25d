#include "autograd/inplace.h"

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// Where a view lies inside its (contiguous) base: what CopySlices needs to cut the view's region
// out of a gradient shaped like the base.
struct ViewGeometry {
  Shape base_sizes, sizes, strides;
  int64_t offset;  // in elements, from the start of the base
  // The view's region of `g`, a fresh contiguous tensor shaped like the base (no history).
  Tensor region_of(const Tensor& g) const { return make_view(g, sizes, strides, offset); }
};

void check_first_order(const char* node) {
  EMBER_CHECK(!autograd::GradMode::is_enabled(), NotImplemented, "[", node, "] double backward through an in-place "
              "op on a view (create_graph=True) is not supported yet");
}

// v's history as "the region of its base": its gradient is scattered into zeros shaped like the base.
void record_view_of_base(const Tensor& view) {
  const Tensor& base = view->view_base();
  ViewGeometry geo{base.sizes(), view.sizes(), view.strides(), view->offset() - base->offset()};
  autograd::record("AsStridedBackward0", {view}, {base}, {}, [geo](const BackwardArgs& c) -> tensor_list {
    check_first_order("AsStridedBackward0");
    Tensor g = zeros(geo.base_sizes, c.grad().dtype(), c.grad().device());
    copy_into(geo.region_of(g), c.grad());
    return {g};
  });
  view->mark_history_fresh();
}

// Note [In-place ops on views (CopySlices)]
// After `v.op_(...)` where v views base b, the values of b changed only inside v's region. b's
// history is rebased onto a CopySlices node with two inputs: b's old history, and the out-of-place
// result (whose own node leads to v's old history and to the other operand). Its backward splits
// grad_b: outside the region it flows to b's old history unchanged; inside it flows into the
// result's node (the in-place op's backward). v itself becomes a view of the new b (an
// AsStridedBackward0 node). Other views of b made before the write are stale (Note [Stale views]).
void rebase_view(Tensor& self, const Tensor& result) {
  Tensor base = self->view_base();
  ViewGeometry geo{base.sizes(), self.sizes(), self.strides(), self->offset() - base->offset()};
  autograd::record("CopySlices", {base}, {base, result}, {}, [geo](const BackwardArgs& c) -> tensor_list {
    check_first_order("CopySlices");
    Tensor g = contiguous_clone(c.grad());
    Tensor region = geo.region_of(g);
    Tensor g_result = c.needs[1] ? contiguous_clone(region) : Tensor();
    if (!c.needs[0]) return {Tensor(), g_result};
    copy_into(region, zeros({}, g.dtype(), g.device()));
    return {g, g_result};
  });
  record_view_of_base(self);
}

}  // namespace

// Note [Stale views]
// A view's history says "this region of the base, as the base was when the view was made". When
// the base later gets new history (an in-place op on the base itself, or CopySlices after a write
// through another view), the view's values have changed with it, so its old history is wrong:
//     x = zeros(3); v1 = x[0:2]; x[1:3].copy_(w)   # v1[1] now depends on w
// Before such a view is used in a graph (or asked for its grad_fn), its history is rebuilt as a
// view of the base's current history, as PyTorch does. A view remembers which history of the
// base it was built against by that node's sequence number (TensorImpl::history_is_stale).
void refresh_view_history(const Tensor& view) {
  if (!view->history_is_stale()) return;
  const Tensor& base = view->view_base();
  if (!base.requires_grad() || !base.is_contiguous()) {  // nothing to differentiate through, or a
    view->mark_history_fresh();                          // layout AsStridedBackward0 cannot cut
    return;
  }
  autograd::AutoGradMode grad_on(true);
  record_view_of_base(view);
}

std::shared_ptr<autograd::Node> current_grad_fn(const Tensor& t) {
  if (t->view_base().defined()) refresh_view_history(t);
  return t->grad_fn();
}

void check_inplace(const char* op, const Tensor& self, bool other_requires_grad) {
  if (!autograd::GradMode::is_enabled()) return;
  if (self->view_base().defined()) refresh_view_history(self);
  EMBER_CHECK(!(self->is_leaf() && self->requires_grad()), Runtime, "[", op,
              "] a leaf Variable that requires grad is being used in an in-place operation.");
  const Tensor& base = self->view_base();
  if (base.defined()) {
    EMBER_CHECK(!(base->is_leaf() && base.requires_grad()), Runtime, "[", op,
                "] a view of a leaf Variable that requires grad is being used in an in-place operation.");
    EMBER_CHECK(!(base.requires_grad() || other_requires_grad) || base.is_contiguous(), NotImplemented, "[", op,
                "] in-place operations on a view of a non-contiguous tensor that takes part in autograd are not "
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
  if (!result->grad_fn()) return;
  if (self->view_base().defined()) rebase_view(self, result);
  else self->set_history(result->grad_fn(), result->output_nr());
}

}  // namespace ember
