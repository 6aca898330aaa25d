// Note [How the engine runs a backward pass]
// 1. A GraphRoot node holds the output gradients; its edges point at the outputs' grad_fns.
// 2. An iterative DFS (no recursion: a 100,000-node chain must not overflow the C stack) finds
//    every reachable node and, for autograd.grad, which nodes lie on a path to a wanted input.
// 3. dependencies[n] counts the edges into n from nodes that will run. A node is ready when its
//    count drops to zero, i.e. when every gradient flowing into it has been summed in its buffer.
// 4. Ready nodes run most-recent-first (Note [Sequence numbers]); each output gradient is added
//    into the buffer of the node its edge points at.
#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate_grad.h"
#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "autograd/hooks.h"
#include "autograd/node.h"
#include "core/profiler.h"
#include "ops/ops.h"

namespace ember::autograd {

namespace {

// A backward node's run, timed for the profiler with the node's name and sequence number (which
// its forward instant carries too) when a profile is open.
class NodeRange {
 public:
  NodeRange(const Node& n, bool shown) : node_(n), start_(shown && profiler::on() ? profiler::now_ns() : -1) {}
  ~NodeRange() {
    if (start_ >= 0)
      profiler::add(profiler::Kind::Backward, node_.name(), start_, profiler::now_ns() - start_, -1, 0,
                    node_.sequence_nr());
  }

 private:
  const Node& node_;
  int64_t start_;
};


class GraphRoot : public Node {
 public:
  tensor_list grads;
  tensor_list apply(tensor_list&&) override { return grads; }
  std::string name() const override { return "GraphRoot"; }
};

struct Capture {
  uint32_t slot;
  size_t index;
};

struct ByPriority {
  bool operator()(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Checks (and where PyTorch does, fixes) the gradient a node produced for its input `edge`.
Tensor validate_grad(const Node& producer, size_t index, const Edge& edge, Tensor g) {
  const OutputMeta& meta = edge.fn->outputs_meta()[edge.input_nr];
  EMBER_CHECK(g.sizes() == meta.sizes, Runtime, "Function ", producer.name(),
              " returned an invalid gradient at index ", index, " - got ", shape_str(g.sizes()),
              " but expected shape compatible with ", shape_str(meta.sizes));
  if (g.dtype() != meta.dtype) g = to_dtype(g, meta.dtype);
  return g;
}

tensor_list run(const tensor_list& outputs, const tensor_list& grads, const tensor_list* inputs,
                BackwardOptions opts) {
  EMBER_CHECK(outputs.size() == grads.size(), Runtime, "grad_tensors has ", grads.size(),
              " elements but tensors has ", outputs.size());
  auto root = std::make_shared<GraphRoot>();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    EMBER_CHECK(out.requires_grad(), Runtime, "element ", i,
                " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grads[i];
    if (!g.defined()) {
      EMBER_CHECK(out.numel() == 1, Runtime, "grad can be implicitly created only for scalar outputs (got ",
                  "an output of shape ", shape_str(out.sizes()), "; pass gradient=)");
      g = ones_like(out);
    } else {
      EMBER_CHECK(g.sizes() == out.sizes(), Runtime, "Mismatch in shape: grad_output[", i,
                  "] has a shape of ", shape_str(g.sizes()), " and output[", i, "] has a shape of ",
                  shape_str(out.sizes()), ".");
    }
    root->next_edges().push_back(gradient_edge(out));
    root->grads.push_back(std::move(g));
  }

  std::unordered_map<Node*, std::vector<Capture>> captures;
  tensor_list captured;
  if (inputs) {
    captured.resize(inputs->size());
    for (size_t j = 0; j < inputs->size(); ++j) {
      const Tensor& in = (*inputs)[j];
      EMBER_CHECK(in.requires_grad(), Runtime, "One of the differentiated Tensors (input ", j,
                  ") does not require grad");
      Edge e = gradient_edge(in);
      captures[e.fn.get()].push_back({e.input_nr, j});
    }
  }

  // Discover the graph (post-order: every node after all nodes below it).
  std::vector<Node*> post_order;
  std::unordered_set<Node*> seen{root.get()};
  std::vector<std::pair<Node*, size_t>> stack{{root.get(), 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->next_edges().size()) {
      Node* child = node->next_edges()[next++].fn.get();
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  // With autograd.grad only nodes that lead to a wanted input run.
  std::unordered_set<Node*> needed;
  for (Node* n : post_order) {
    bool need = !inputs || captures.count(n);
    for (const Edge& e : n->next_edges()) need = need || (e.fn && needed.count(e.fn.get()));
    if (need) needed.insert(n);
  }
  std::unordered_map<Node*, int> dependencies;
  for (Node* n : post_order)
    if (needed.count(n))
      for (const Edge& e : n->next_edges())
        if (e.fn && needed.count(e.fn.get())) ++dependencies[e.fn.get()];

  AutoGradMode grad_mode(opts.create_graph);
  std::unordered_map<Node*, tensor_list> buffers;
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>, ByPriority> ready;
  // The root goes first whatever its number: it runs alone before anything else is ready.
  std::shared_ptr<Node> current = root;
  while (current) {
    Node* n = current.get();
    tensor_list in;
    if (n != root.get()) {
      auto it = buffers.find(n);
      in = std::move(it->second);
      buffers.erase(it);
    }
    // Tensor hooks see the summed gradient before anything uses it (a leaf's live on the tensor).
    auto* sink = dynamic_cast<AccumulateGrad*>(n);
    run_grad_hooks(sink ? sink->variable()->leaf_hooks() : n->pre_hooks(), in);
    if (auto c = captures.find(n); c != captures.end())
      for (const Capture& cap : c->second) captured[cap.index] = in[cap.slot];

    bool is_sink = sink != nullptr;
    bool any_grad = n == root.get();
    for (const Tensor& g : in) any_grad = any_grad || g.defined();
    tensor_list out;
    if (any_grad && !(inputs && is_sink)) {
      NodeRange timed(*n, n != root.get());  // Note [The profiler]; the engine's own root is not shown
      if (!AnomalyMode::is_enabled()) {
        out = n->apply(std::move(in));
      } else {
        try {
          out = n->apply(std::move(in));
        } catch (...) {
          warn_anomaly_failure(*n);
          throw;
        }
        check_anomaly_grads(*n, out);
      }
    }
    if (!opts.keep_graph) n->release_variables();

    for (size_t i = 0; i < n->next_edges().size(); ++i) {
      const Edge& e = n->next_edges()[i];
      if (!e.fn || !needed.count(e.fn.get())) continue;
      if (i < out.size() && out[i].defined()) {
        Tensor g = validate_grad(*n, i, e, std::move(out[i]));
        tensor_list& buf = buffers[e.fn.get()];
        if (buf.empty()) buf.resize(e.fn->outputs_meta().size());
        buf[e.input_nr] = buf[e.input_nr].defined() ? add(buf[e.input_nr], g) : std::move(g);
      } else if (!buffers.count(e.fn.get())) {
        buffers[e.fn.get()].resize(e.fn->outputs_meta().size());
      }
      if (--dependencies[e.fn.get()] == 0) ready.push(e.fn);
    }
    current = nullptr;
    if (!ready.empty()) {
      current = ready.top();
      ready.pop();
    }
  }

  if (inputs) {
    for (size_t j = 0; j < captured.size(); ++j)
      EMBER_CHECK(captured[j].defined() || opts.allow_unused, Runtime, "One of the differentiated Tensors (input ",
                  j, ") appears to not have been used in the graph. Set allow_unused=True if this is the "
                  "desired behavior.");
  }
  return captured;
}

}  // namespace

void backward(const tensor_list& outputs, const tensor_list& grads, BackwardOptions opts) {
  run(outputs, grads, nullptr, opts);
}

tensor_list grad(const tensor_list& outputs, const tensor_list& grads, const tensor_list& inputs,
                 BackwardOptions opts) {
  return run(outputs, grads, &inputs, opts);
}

}  // namespace ember::autograd
