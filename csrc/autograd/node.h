// The backward graph (after PyTorch's autograd): a Node is one backward function; its Edges
// point at the Nodes that produced its forward inputs. The Engine (engine.h) walks Edges from
// the loss toward the leaves, where AccumulateGrad nodes add into `.grad`.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::autograd {

class Node;

// Where the gradient for one forward input goes: input slot `input_nr` of node `fn`.
// An Edge with no fn means "this input needs no gradient".
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return fn != nullptr; }
};

// What the engine must know about each forward output to validate or invent its gradient.
struct OutputMeta {
  Shape sizes;
  DType dtype;
  Device device;
};


class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();  // iterative: see Note [Iterative graph destruction]
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // grads[i] is the gradient w.r.t. forward output i (undefined when none arrived); returns one
  // gradient per next edge (undefined where an input needs none).
  virtual tensor_list apply(tensor_list&& grads) = 0;
  virtual std::string name() const = 0;
  // Frees saved tensors once a backward pass without retain_graph has run through this node.
  virtual void release_variables() {}

  std::vector<Edge>& next_edges() { return next_edges_; }
  const std::vector<Edge>& next_edges() const { return next_edges_; }
  std::vector<OutputMeta>& outputs_meta() { return outputs_meta_; }
  uint64_t sequence_nr() const { return sequence_nr_; }

  // Hooks run by the engine on the summed gradient of an output slot before apply()
  // (the hooks of the non-leaf tensors this node produced).
  std::vector<GradHookEntry>& pre_hooks() { return pre_hooks_; }

  // The Python stack of the forward op, kept only in anomaly mode (autograd/anomaly.h).
  const std::string& anomaly_trace() const { return anomaly_trace_; }
  void set_anomaly_trace(std::string trace) { anomaly_trace_ = std::move(trace); }

 protected:
  std::vector<Edge> next_edges_;
  std::vector<OutputMeta> outputs_meta_;
  uint64_t sequence_nr_;
  std::vector<GradHookEntry> pre_hooks_;
  std::string anomaly_trace_;
};

// Drops one owner of `node`; when it is the last, the node is destroyed by the outermost ~Node
// on this thread instead of recursively (Note [Iterative graph destruction]).
void release_node(std::shared_ptr<Node>&& node);

// The edge a gradient for `t` must flow along: its grad_fn, or for a leaf that requires grad
// its AccumulateGrad node (made on first use, see Note [Leaf accumulator]).
Edge gradient_edge(const Tensor& t);

}  // namespace ember::autograd
