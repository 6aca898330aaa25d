#include "autograd/saved_tensor.h"

#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

namespace {
thread_local std::vector<SavedPacker> pack_hooks;
}

void push_saved_tensor_hooks(SavedPacker pack) { pack_hooks.push_back(std::move(pack)); }
void pop_saved_tensor_hooks() {
  if (!pack_hooks.empty()) pack_hooks.pop_back();
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output)
    : saved_version_(t->version()), output_nr_(t->output_nr()), is_output_(is_output),
      requires_grad_(t.requires_grad()) {
  if (!pack_hooks.empty()) {
    // The hook runs with no hooks pushed, so whatever it computes saves tensors normally.
    SavedPacker pack = std::move(pack_hooks.back());
    pack_hooks.pop_back();
    struct Restore {
      SavedPacker& p;
      ~Restore() { pack_hooks.push_back(std::move(p)); }
    } restore{pack};
    unpacker_ = pack(is_output ? detach(t) : t);
    version_counter_ = t->version_counter();
    return;
  }
  data_ = is_output ? detach(t) : t;
}

void SavedTensor::release() {
  data_ = Tensor();
  unpacker_ = nullptr;
  was_released_ = true;
}

void SavedTensor::release_history() {
  if (!data_.defined() || data_.impl().use_count() != 1 || !data_->grad_fn()) return;
  std::shared_ptr<Node> fn = data_->grad_fn();
  data_->set_history(nullptr, 0);
  release_node(std::move(fn));
}

namespace {
std::string describe(const Tensor& t) {
  std::string s = std::string("[") + dtype_name(t.dtype()) + " of shape " + shape_str(t.sizes()) + "]";
  return s;
}
}  // namespace

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner) const {
  EMBER_CHECK(!was_released_, Runtime,
              "Trying to backward through the graph a second time (or directly access saved tensors "
              "after they have already been freed). Saved intermediate values of the graph are freed "
              "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
              "backward through the graph a second time or if you need to access saved tensors after "
              "calling backward.");
  if (unpacker_) {
    EMBER_CHECK(version_counter_->version == saved_version_, Runtime,
                "one of the variables needed for gradient computation has been modified by an inplace "
                "operation: a tensor saved by ", owner->name(), " is at version ", version_counter_->version,
                "; expected version ", saved_version_, " instead.");
    Tensor t = unpacker_();
    if (!t.defined() || !is_output_ || !requires_grad_) return t;
    t = detach(t);
    t->set_history(owner, output_nr_);
    return t;
  }
  if (!data_.defined()) return Tensor();
  EMBER_CHECK(data_->version() == saved_version_, Runtime,
              "one of the variables needed for gradient computation has been modified by an inplace "
              "operation: ", describe(data_), ", which is ", is_output_ ? "output " : "an input of ",
              is_output_ ? std::to_string(output_nr_) + " of " : std::string(), owner->name(),
              ", is at version ", data_->version(), "; expected version ", saved_version_,
              " instead.");
  if (!is_output_ || !requires_grad_) return data_;
  // Re-attach the history that saving had to drop, so double backward sees it.
  Tensor t = detach(data_);
  t->set_history(owner, output_nr_);
  return t;
}

}  // namespace ember::autograd
