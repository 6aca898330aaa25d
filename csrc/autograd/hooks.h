// Tensor hooks: functions that see (and may replace) the gradient flowing into a tensor during
// backward, retain_grad (a hook that stores that gradient in .grad), and hooks that run after a
// leaf's .grad was updated. Each registration returns an id that remove_hook takes back.
#pragma once
#include "core/tensor.h"

namespace ember::autograd {

// A leaf's hooks are kept on the tensor; a non-leaf's on its grad_fn, for its output slot.
uint64_t register_hook(const Tensor& t, GradHook fn);
void remove_hook(const Tensor& t, uint64_t id);
void erase_hook(std::vector<GradHookEntry>& hooks, uint64_t id);  // no-op when the id is not there
void retain_grad(const Tensor& t);
uint64_t register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateHook fn);
void remove_post_accumulate_grad_hook(const Tensor& t, uint64_t id);

// Runs `hooks` that belong to `slot` on grads[slot] in order (user hooks, then retain_grad's),
// checking that a replacement keeps the gradient's shape.
void run_grad_hooks(const std::vector<GradHookEntry>& hooks, tensor_list& grads);

}  // namespace ember::autograd
