// A tensor saved in the forward pass for use in backward, with the version it had then.
#pragma once
#include <functional>
#include <memory>

#include "core/tensor.h"

namespace ember::autograd {

class Node;

// Note [Saved tensor hooks]
// While a pack hook is pushed (autograd.graph.saved_tensors_hooks, utils.checkpoint), a
// SavedTensor does not keep the tensor: it keeps what pack returned, a function that gives the
// tensor back when backward needs it. checkpoint's pack keeps nothing and its unpack recomputes.
// The version counter is still kept (it holds no data), so in-place writes are still caught.
using SavedUnpacker = std::function<Tensor()>;
using SavedPacker = std::function<SavedUnpacker(const Tensor&)>;
void push_saved_tensor_hooks(SavedPacker pack);
void pop_saved_tensor_hooks();

class SavedTensor {
 public:
  SavedTensor() = default;
  // `is_output`: the tensor is an output of `owner` itself. Saving it as is would make a cycle
  // (tensor -> grad_fn -> saved tensor), so only its data is kept and the history is re-attached
  // through a weak pointer when unpacked.
  SavedTensor(const Tensor& t, bool is_output);

  // The saved tensor, checked against in-place writes and against a freed graph.
  // `owner` is the node unpacking it (for error messages and to re-attach output history).
  Tensor unpack(const std::shared_ptr<Node>& owner) const;
  void release();
  // Called by the owning node's destructor: if this saved tensor is the last owner of a tensor
  // with history, that history is released without recursion (Note [Iterative graph destruction]).
  void release_history();
  bool defined() const { return data_.defined() || unpacker_ || was_released_; }

 private:
  Tensor data_;
  SavedUnpacker unpacker_;                           // set instead of data_ under a pack hook
  std::shared_ptr<VersionCounter> version_counter_;  // kept with unpacker_, for the version check
  uint32_t saved_version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool requires_grad_ = false;
  bool was_released_ = false;
};

}  // namespace ember::autograd
