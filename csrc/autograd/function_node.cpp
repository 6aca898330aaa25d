#include "autograd/function_node.h"

#include "autograd/anomaly.h"
#include "autograd/grad_mode.h"
#include "core/profiler.h"
#include "ops/ops.h"

namespace ember::autograd {

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

tensor_list FunctionNode::apply(tensor_list&& grads) {
  // Formulas may assume every output has a gradient; invent zeros for those that got none.
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined())
      grads[i] = zeros(outputs_meta_[i].sizes, outputs_meta_[i].dtype, outputs_meta_[i].device);
  tensor_list saved;
  saved.reserve(saved_.size());
  auto self = shared_from_this();
  for (const SavedTensor& s : saved_) saved.push_back(s.unpack(self));
  std::vector<bool> needs(next_edges_.size());
  for (size_t i = 0; i < needs.size(); ++i) needs[i] = next_edges_[i].valid();
  tensor_list out = fn_(BackwardArgs{grads, saved, needs});
  EMBER_INTERNAL_ASSERT(out.size() == next_edges_.size(), name_, " returned ", out.size(),
                        " gradients for ", next_edges_.size(), " inputs");
  return out;
}

FunctionNode::~FunctionNode() {
  for (SavedTensor& s : saved_) s.release_history();
}

void FunctionNode::release_variables() {
  for (SavedTensor& s : saved_) s.release();
}

void record(const char* name, const tensor_list& outputs, const tensor_list& inputs,
            const tensor_list& to_save, BackwardFn fn) {
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  if (AnomalyMode::is_enabled()) record_anomaly_trace(*node);
  if (profiler::on()) {  // Note [The profiler]: the forward end of the node's link to its backward
    std::string shapes;
    if (profiler::record_shapes())
      for (const Tensor& in : inputs)
        shapes += (shapes.empty() ? "" : ", ") + (in.defined() ? shape_str(in.sizes()) : "[]");
    profiler::instant(profiler::Kind::Forward, name, -1, 0, node->sequence_nr(), std::move(shapes));
  }
  node->next_edges().reserve(inputs.size());
  for (const Tensor& in : inputs) node->next_edges().push_back(in.defined() ? gradient_edge(in) : Edge{});
  for (uint32_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    node->outputs_meta().push_back({o.sizes(), o.dtype(), o.device()});
    if (is_floating(o.dtype())) o->set_history(node, i);
  }
  // After set_history, so that saved outputs remember which output of the node they are.
  for (const Tensor& s : to_save) {
    if (!s.defined()) {  // not needed by any gradient that will be asked for: unpacks as undefined
      node->saved().emplace_back();
      continue;
    }
    bool is_output = false;
    for (const Tensor& o : outputs) is_output = is_output || o.is_same(s);
    node->saved().emplace_back(s, is_output);
  }
}

}  // namespace ember::autograd
