// Note [Overlapping in-place writes]
// An in-place op writes its result over memory its inputs may still be reading. Two cases give
// answers that depend on the order the kernel visits elements, so PyTorch refuses them, and so
// does ember, with PyTorch's messages:
//  - internal overlap: the written-to tensor has elements that share memory (an expanded view: a
//    stride of 0 on a dim of size > 1), so one element is written several times;
//  - partial overlap: an input shares some, but not exactly all, of the written-to memory
//    (x[1:] += x[:-1], x.add_(x.t()), x /= x[0:1]): a later element reads what an earlier one
//    already overwrote.
// Full overlap (the input is the very same view: x.add_(x), x[1:].mul_(x[1:])) is safe for an
// elementwise op, which reads each element before writing it, and is allowed. Ops that move
// elements to other positions (index_add_, scatter_, x[idx] = v) refuse any overlap.
// As PyTorch's get_overlap_status, only tensors that cover their memory densely (a permutation
// of a contiguous layout) are compared; strided views whose ranges interleave ("too hard") pass.
#include <algorithm>
#include <numeric>

#include "ops/ops.h"

namespace ember {

namespace {

enum class Overlap { No, Full, Partial, TooHard };

// Whether t's elements fill [data, data + numel) exactly once: its strides, sorted, are the
// contiguous strides of its sizes in that order (dims of size 1 may have any stride).
bool non_overlapping_and_dense(const Tensor& t) {
  const Shape& sizes = t.sizes();
  const Shape& strides = t.strides();
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return strides[a] < strides[b]; });
  int64_t expected = 1;
  for (size_t d : order) {
    if (sizes[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= sizes[d];
  }
  return true;
}

Overlap overlap_status(const Tensor& a, const Tensor& b) {
  if (a.is_same(b)) return Overlap::Full;
  if (a.numel() == 0 || b.numel() == 0) return Overlap::No;
  if (!non_overlapping_and_dense(a) || !non_overlapping_and_dense(b)) return Overlap::TooHard;
  if (a.device() != b.device()) return Overlap::No;  // (two storages over one buffer, as two
                                                    // from_numpy views of an array, do overlap)
  const char* a_begin = static_cast<const char*>(a.raw_data());
  const char* b_begin = static_cast<const char*>(b.raw_data());
  const char* a_end = a_begin + a.numel() * static_cast<int64_t>(itemsize(a.dtype()));
  const char* b_end = b_begin + b.numel() * static_cast<int64_t>(itemsize(b.dtype()));
  if (a_begin == b_begin && a_end == b_end) return a.strides() == b.strides() ? Overlap::Full : Overlap::Partial;
  if (a_begin < b_end && b_begin < a_end) return Overlap::Partial;
  return Overlap::No;
}

[[noreturn]] void fail_shared_input(const char* op) {
  fail(ErrorKind::Runtime, "[", op, "] unsupported operation: some elements of the input tensor and the written-to "
       "tensor refer to a single memory location. Please clone() the tensor before performing the operation.");
}

}  // namespace

void check_no_internal_overlap(const char* op, const Tensor& self) {
  if (self.numel() == 0) return;
  for (size_t d = 0; d < self.sizes().size(); ++d)
    EMBER_CHECK(!(self.sizes()[d] > 1 && self.strides()[d] == 0), Runtime, "[", op,
                "] unsupported operation: more than one element of the written-to tensor refers to a single "
                "memory location. Please clone() the tensor before performing the operation.");
}

void check_no_partial_overlap(const char* op, const Tensor& self, const Tensor& input) {
  if (input.defined() && overlap_status(self, input) == Overlap::Partial) fail_shared_input(op);
}

void check_no_overlap(const char* op, const Tensor& self, const Tensor& input) {
  if (!input.defined()) return;
  Overlap o = overlap_status(self, input);
  if (o == Overlap::Partial || o == Overlap::Full) fail_shared_input(op);
}

}  // namespace ember
