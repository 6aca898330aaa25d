#include "autograd/node.h"

#include "autograd/accumulate_grad.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ember::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

// Note [Sequence numbers]: nodes are numbered in creation order; the engine runs the ready node
// with the highest number first, i.e. the most recent op first, as PyTorch does.
Node::Node() : sequence_nr_(next_sequence_nr++) {}

// Note [Deleting long graphs]
// Destroying the last reference to a node would destroy its next nodes from inside its destructor,
// recursively: a chain of a million ops overflows the C stack. Instead a dying node hands the
// next nodes it solely owns to a thread-local list, and only the outermost destructor drains that
// list, one node at a time. (A derived node's saved tensors die before this body runs, while the
// edges still hold their nodes, so that path cannot recurse either.)
Node::~Node() {
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (Edge& e : next_edges_)
    if (e.fn && e.fn.use_count() == 1) pending.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> last = std::move(pending.back());
    pending.pop_back();
    last.reset();  // may push that node's own next nodes
  }
  draining = false;
}

Edge gradient_edge(const Tensor& t) {
  if (t->grad_fn()) return Edge{t->grad_fn(), t->output_nr()};
  if (!t->requires_grad()) return Edge{};
  std::shared_ptr<Node> acc = t->grad_accumulator().lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    t->grad_accumulator() = acc;
  }
  return Edge{acc, 0};
}

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
  outputs_meta_.push_back({variable_.sizes(), variable_.dtype(), variable_.device()});
}

// .grad += incoming. With create_graph the sum is recorded (so .grad has a history and
// gradient penalties work); otherwise it happens in place, or the incoming buffer is adopted.
tensor_list AccumulateGrad::apply(tensor_list&& grads) {
  Tensor& g = grads[0];
  if (!g.defined()) return {};
  Tensor& grad = variable_->grad();
  if (GradMode::is_enabled()) {
    grad = grad.defined() ? add(grad, g) : g;
  } else if (!grad.defined()) {
    // Adopt the buffer when nobody else holds it and it owns a plain contiguous layout.
    bool adoptable = g.impl().use_count() == 1 && g.is_contiguous() && !g->view_base().defined() &&
                     !g.requires_grad();
    grad = adoptable ? g : contiguous_clone(g);
  } else {
    add_inplace(grad, g);
  }
  for (auto& hook : post_hooks_) hook(variable_);
  return {};
}

}  // namespace ember::autograd
