// The backward engine: given output tensors and their gradients, runs every Node reachable
// from them exactly once, after all the gradients flowing into it have been summed.
#pragma once
#include "core/tensor.h"

namespace ember::autograd {

struct BackwardOptions {
  bool keep_graph = false;    // retain_graph: do not free saved tensors
  bool create_graph = false;  // record the backward pass itself (higher-order derivatives)
  bool allow_unused = false;  // autograd.grad: an input no output depends on gives None
};

// loss.backward(): accumulates into the .grad of every leaf reached. `grads` may hold undefined
// tensors for scalar outputs (then 1 is used).
void backward(const tensor_list& outputs, const tensor_list& grads, BackwardOptions opts);

// autograd.grad(): returns d(outputs)/d(inputs) without touching any .grad.
tensor_list grad(const tensor_list& outputs, const tensor_list& grads, const tensor_list& inputs,
                 BackwardOptions opts);

}  // namespace ember::autograd
