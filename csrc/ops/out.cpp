// Tensor.resize_ and what an out= argument does with a result (torch.add(a, b, out=c)).
#include "ops/ops.h"

namespace ember {

Tensor& resize_tensor_(Tensor& t, const Shape& sizes) {
  EMBER_CHECK(!t.requires_grad(), Runtime, "cannot resize variables that require grad");
  if (resize_(t, sizes)) t->bump_version();  // PyTorch counts a resize that changes the sizes as a write
  return t;
}

// PyTorch's assert_no_partial_overlap: an input may be the out itself (the same memory), not a part
// of it. Like PyTorch, only dense (here: contiguous) pairs are compared; others are too hard to
// tell and pass.
void check_out_overlap(const char* op, const Tensor& out, const tensor_list& inputs) {
  if (out.numel() == 0 || !out.is_contiguous()) return;
  auto begin = [](const Tensor& t) { return static_cast<const char*>(t.raw_data()); };
  auto end = [&](const Tensor& t) { return begin(t) + t.numel() * static_cast<int64_t>(itemsize(t.dtype())); };
  for (const Tensor& in : inputs) {
    if (!in.defined() || in.numel() == 0 || !in.is_contiguous() || in->storage() != out->storage()) continue;
    bool full = begin(in) == begin(out) && end(in) == end(out);
    EMBER_CHECK(full || !(begin(in) < end(out) && begin(out) < end(in)), Runtime, "[", op,
                "] unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                "single memory location. Please clone() the tensor before performing the operation.");
  }
}

// Note [out= arguments]
// ember.add(a, b, out=c) (python/ember/_out.py) computes the result as ember.add(a, b) does, checks
// it against the op's dtype rule for c (each op family has PyTorch's), and then writes it here:
// c is resized to the result's shape when they differ (with contiguous strides, its storage grown
// if need be: Note [Resizing a tensor]; the caller has warned, as PyTorch does, if c had elements),
// the result is copied into c (cast to c's dtype, through c's strides when no resize was needed),
// and c's version goes up once. The copy is not recorded by autograd: PyTorch refuses out= when
// grad mode is on and anything requires grad, and the caller has checked that, so what reaches
// here is plain data movement. Computing into a fresh tensor and copying keeps each op's kernel
// free of out= handling, at the price of one extra pass over the result; so that a call means
// what it means in PyTorch, an input sharing part of c's memory is refused first
// (check_out_overlap), as PyTorch's in-place kernels would read elements already written.
Tensor& write_out(const char* op, Tensor& out, const Tensor& result) {
  EMBER_CHECK(out.device() == result.device(), Runtime, "[", op, "] Expected all tensors to be on the same device, "
              "but found at least two devices, ", result.device().str(), " and ", out.device().str(), "!");
  if (out.sizes() != result.sizes()) resize_(out, result.sizes());
  check_no_internal_overlap(op, out);
  copy_into(out, result);
  out->bump_version();
  return out;
}

}  // namespace ember
