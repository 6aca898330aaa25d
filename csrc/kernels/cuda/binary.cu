// CUDA twin of kernels::cpu::binary: the same functors, one kernel per (op, dtype) that the
// ops layer can ask for: the dtypes of the op's DtypeRule (kernels/op_kinds.h; ops/binary.cpp
// rejects or promotes the others).
#include "kernels/binary.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/functors.h"

namespace ember::kernels::cuda {

namespace {

template <typename T>
void binary_typed(BinaryOp op, void* out, const void* a, const void* b, const LoopShape& s) {
  auto* pa = static_cast<const T*>(a);
  auto* pb = static_cast<const T*>(b);
  T* o = static_cast<T*>(out);
  bool* ob = static_cast<bool*>(out);
  // One case per row of the tables in kernels/op_kinds.h, as in the CPU kernel.
  switch (op) {
#define EMBER_ARITHMETIC_CASE(Op, name, F, rule, py)                                                  \
  case BinaryOp::Op:                                                                                  \
    if constexpr (rule_takes<T>(DtypeRule::rule)) return launch_elementwise(name, s, F{}, o, pa, pb); \
    break;
#define EMBER_COMPARISON_CASE(Op, name, F) \
  case BinaryOp::Op: return launch_elementwise(name, s, F{}, ob, pa, pb);
    EMBER_BINARY_OPS(EMBER_ARITHMETIC_CASE)
    EMBER_COMPARISON_OPS(EMBER_COMPARISON_CASE)
    EMBER_LOGICAL_OPS(EMBER_COMPARISON_CASE)
#undef EMBER_ARITHMETIC_CASE
#undef EMBER_COMPARISON_CASE
  }
  fail(ErrorKind::Type, "[binary] op not supported for this dtype on cuda");
}

}  // namespace

void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(compute, "binary", [&] { binary_typed<scalar_t>(op, out, a, b, loop); });
}

}  // namespace ember::kernels::cuda
