#include "autograd/node.h"

#include "autograd/accumulate_grad.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "ops/ops.h"

namespace ember::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

// Note [Sequence numbers]: nodes are numbered in creation order; the engine runs the ready node
// with the highest number first, i.e. the most recent op first, as PyTorch does.
Node::Node() : sequence_nr_(next_sequence_nr++) {}

// Note [Iterative graph destruction]
// A graph is a chain of shared_ptrs (node -> edge -> node, or node -> saved tensor -> its
// grad_fn). Letting them die naturally destroys a 300,000-op chain with 300,000 nested
// destructor calls and overflows the C stack. Instead each dying node hands the children it alone
// owns to a thread-local graveyard, and the outermost ~Node on the thread empties it in a loop;
// nested destructors then never go deeper than one level. (PyTorch's deleteNode does the same.)
namespace {
thread_local std::vector<std::shared_ptr<Node>> graveyard;
thread_local bool draining = false;
}  // namespace

void release_node(std::shared_ptr<Node>&& node) {
  if (node && node.use_count() == 1) graveyard.push_back(std::move(node));
  node.reset();
}

Node::~Node() {
  for (Edge& e : next_edges_) release_node(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!graveyard.empty()) {
    std::shared_ptr<Node> last = std::move(graveyard.back());
    graveyard.pop_back();
    last.reset();  // its own ~Node only moves its children into the graveyard
  }
  draining = false;
}

Edge gradient_edge(const Tensor& t) {
  if (t->view_base().defined()) refresh_view_history(t);  // Note [Stale views]
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
  // Copied first: a hook may register or remove hooks.
  auto hooks = variable_->post_accumulate_hooks();
  for (auto& entry : hooks) entry.second(variable_);
  return {};
}

}  // namespace ember::autograd
