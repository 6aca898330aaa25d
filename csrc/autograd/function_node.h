// FunctionNode: the backward of one forward op, written as a lambda beside the forward
// (see ops/binary.cpp). `record` wires it into the graph when an input requires grad.
#pragma once
#include <functional>
#include <initializer_list>
#include <string>

#include "autograd/node.h"
#include "autograd/saved_tensor.h"

namespace ember::autograd {

// What a backward formula reads.
struct BackwardArgs {
  const tensor_list& grads;         // gradient w.r.t. each forward output (zeros if none arrived)
  const tensor_list& saved;         // the tensors the forward saved, version-checked
  const std::vector<bool>& needs;   // needs[i]: does forward input i want a gradient?
  const Tensor& grad() const { return grads[0]; }
};
// Returns one gradient per forward input (undefined Tensor where needs[i] is false).
using BackwardFn = std::function<tensor_list(const BackwardArgs&)>;

class FunctionNode : public Node {
 public:
  FunctionNode(const char* name, BackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  ~FunctionNode() override;
  tensor_list apply(tensor_list&& grads) override;
  std::string name() const override { return name_; }
  void release_variables() override;
  std::vector<SavedTensor>& saved() { return saved_; }

 private:
  const char* name_;
  BackwardFn fn_;
  std::vector<SavedTensor> saved_;
};

// True when grad mode is on and any of `inputs` requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
inline bool needs_grad(const Tensor& a) { return needs_grad({&a}); }
inline bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad({&a, &b}); }

// Makes a FunctionNode named `name` with edges to `inputs`, saves `to_save` (outputs among them
// are detected and saved without a cycle; an undefined entry saves nothing and unpacks as an
// undefined Tensor), and sets it as grad_fn of each of `outputs`.
void record(const char* name, const tensor_list& outputs, const tensor_list& inputs,
            const tensor_list& to_save, BackwardFn fn);

}  // namespace ember::autograd
