#include "autograd/hooks.h"

#include <algorithm>
#include <atomic>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "ops/ops.h"

namespace ember::autograd {

namespace {

std::atomic<uint64_t> next_hook_id{1};

std::vector<GradHookEntry>& hooks_of(const Tensor& t) {
  return t->is_leaf() ? t->leaf_hooks() : t->grad_fn()->pre_hooks();
}

// User hooks go before retain_grad's hook, so .grad holds the gradient after every hook.
uint64_t add_hook(const Tensor& t, GradHook fn, bool is_retain_grad) {
  std::vector<GradHookEntry>& hooks = hooks_of(t);
  uint64_t id = next_hook_id++;
  GradHookEntry entry{id, t->output_nr(), std::move(fn), is_retain_grad};
  auto pos = is_retain_grad ? hooks.end()
                            : std::find_if(hooks.begin(), hooks.end(),
                                           [](const GradHookEntry& e) { return e.is_retain_grad; });
  hooks.insert(pos, std::move(entry));
  return id;
}

}  // namespace

uint64_t register_hook(const Tensor& t, GradHook fn) {
  EMBER_CHECK(t.requires_grad(), Runtime,
              "[register_hook] cannot register a hook on a tensor that doesn't require gradient");
  return add_hook(t, std::move(fn), false);
}

void erase_hook(std::vector<GradHookEntry>& hooks, uint64_t id) {
  hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [id](const GradHookEntry& e) { return e.id == id; }),
              hooks.end());
}

void remove_hook(const Tensor& t, uint64_t id) {
  erase_hook(t->leaf_hooks(), id);
  if (t->grad_fn()) erase_hook(t->grad_fn()->pre_hooks(), id);
}

void retain_grad(const Tensor& t) {
  EMBER_CHECK(t.requires_grad(), Runtime, "can't retain_grad on Tensor that has requires_grad=False");
  if (t->is_leaf() || t->retains_grad()) return;
  t->set_retains_grad(true);
  std::weak_ptr<TensorImpl> weak = t.impl();
  add_hook(t, [weak](const Tensor& g) {
    if (auto impl = weak.lock()) {
      Tensor& grad = impl->grad();
      // Under create_graph the sum keeps its history; otherwise .grad owns a plain copy.
      if (grad.defined()) grad = GradMode::is_enabled() ? add(grad, g) : add(detach(grad), g);
      else grad = GradMode::is_enabled() ? g : contiguous_clone(g);
    }
    return Tensor();
  }, true);
}

uint64_t register_post_accumulate_grad_hook(const Tensor& t, PostAccumulateHook fn) {
  EMBER_CHECK(t->is_leaf() && t.requires_grad(), Runtime,
              "post accumulate grad hooks cannot be registered on non-leaf tensors or tensors that don't require grad");
  uint64_t id = next_hook_id++;
  t->post_accumulate_hooks().push_back({id, std::move(fn)});
  return id;
}

void remove_post_accumulate_grad_hook(const Tensor& t, uint64_t id) {
  auto& hooks = t->post_accumulate_hooks();
  hooks.erase(std::remove_if(hooks.begin(), hooks.end(), [id](const auto& e) { return e.first == id; }), hooks.end());
}

void run_grad_hooks(const std::vector<GradHookEntry>& hooks, tensor_list& grads) {
  if (hooks.empty()) return;
  std::vector<GradHookEntry> snapshot = hooks;  // a hook may add or remove hooks
  for (const GradHookEntry& h : snapshot) {
    if (h.slot >= grads.size() || !grads[h.slot].defined()) continue;
    Tensor replaced = h.fn(grads[h.slot]);
    if (!replaced.defined()) continue;
    EMBER_CHECK(replaced.sizes() == grads[h.slot].sizes(), Runtime, "[register_hook] hook changed the size of "
                "the gradient: got ", shape_str(replaced.sizes()), ", expected ", shape_str(grads[h.slot].sizes()));
    grads[h.slot] = std::move(replaced);
  }
}

}  // namespace ember::autograd
