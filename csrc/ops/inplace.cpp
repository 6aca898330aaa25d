#include "ops/inplace.h"

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
}

// Note [In-place ops on views (CopySlices)]
// After `v.op_(...)` where v views base b, the values of b changed only inside v's region. b's
// history is rebased onto a CopySlices node with two inputs: b's old history, and the out-of-place
// result (whose own node leads to v's old history and to the other operand). Its backward splits
// grad_b: outside the region it flows to b's old history unchanged; inside it flows into the
// result's node (the in-place op's backward). v itself becomes a view of the new b (an
// AsStridedBackward0 node). Other views of b made before the write have stale history; they are
// given the same kind of node when next used in the graph (refresh_view_history).
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

void refresh_view_history(const Tensor& view) {
  const auto& base_fn = view->view_base()->grad_fn();
  // Stale: the base was rebased by a write through another view after this view got its history.
  if (!base_fn || base_fn->sequence_nr() < view->grad_fn()->sequence_nr() || base_fn->name() != "CopySlices") return;
  autograd::AutoGradMode grad_on(true);
  record_view_of_base(view);
}

void check_inplace(const char* op, const Tensor& self, bool other_requires_grad) {
  if (!autograd::GradMode::is_enabled()) return;
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
