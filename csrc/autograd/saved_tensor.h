// A tensor saved in the forward pass for use in backward, with the version it had then.
#pragma once
#include <memory>

#include "core/tensor.h"

namespace ember::autograd {

class Node;

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
  bool defined() const { return data_.defined() || was_released_; }

 private:
  Tensor data_;
  uint32_t saved_version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool requires_grad_ = false;
  bool was_released_ = false;
};

}  // namespace ember::autograd
