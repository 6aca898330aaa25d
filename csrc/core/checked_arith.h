// Checked int64 arithmetic for sizes, strides, element and byte counts: the one place that
// knows how to add or multiply two of them without signed-overflow undefined behaviour.
//
// Note [Checked size arithmetic]
// Sizes come from the user and may be anything up to 2^63 - 1: ones(2**62, 4), view(2**32, 2**32),
// expand(2**62, 2**62). A plain int64 product of them is undefined behaviour when it overflows, and
// in practice wraps to a small or negative number, so a tensor could be described over less
// memory than it claims (a silently wrong answer, or a write past the end of a buffer). Every
// sum or product of sizes, strides, offsets and byte counts that a user can drive goes through
// these helpers, which are exact (the compiler's overflow builtins: one flag test, no division)
// and report overflow instead of wrapping; the callers raise PyTorch's errors ("numel: integer
// multiplication overflow", "Stride calculation overflowed", "Storage size calculation
// overflowed") with the op's name and the shapes involved. Host code only: kernels index
// tensors whose sizes were checked here before they were made.
#pragma once
#include <cstdint>

#include "core/error.h"

namespace ember {

// *out = a * b (resp. a + b); true when the exact result does not fit in int64 (then *out holds
// the wrapped value, which callers must not use).
inline bool mul_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool add_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

// The throwing forms, for call sites whose message is "[op] <what> overflowed: a * b".
inline int64_t checked_mul(const char* op, const char* what, int64_t a, int64_t b) {
  int64_t r;
  if (mul_overflows(a, b, &r)) fail(ErrorKind::Runtime, "[", op, "] ", what, " overflowed: ", a, " * ", b);
  return r;
}
inline int64_t checked_add(const char* op, const char* what, int64_t a, int64_t b) {
  int64_t r;
  if (add_overflows(a, b, &r)) fail(ErrorKind::Runtime, "[", op, "] ", what, " overflowed: ", a, " + ", b);
  return r;
}

// ceil(a / b) for a >= 0 and b > 0, without the a + b - 1 that overflows for b near 2^63.
inline int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

}  // namespace ember
