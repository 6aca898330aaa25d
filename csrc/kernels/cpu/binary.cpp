// The CPU binary elementwise kernel (kernels/binary.h); its CUDA twin is kernels/cuda/binary.cu.
#include "kernels/binary.h"

#include "kernels/cpu/loops.h"
#include "kernels/functors.h"

namespace ember::kernels::cpu {

namespace {

template <typename T>
void binary_typed(BinaryOp op, void* out, const void* a, const void* b, const LoopShape& s) {
  auto* pa = static_cast<const T*>(a);
  auto* pb = static_cast<const T*>(b);
  T* o = static_cast<T*>(out);
  bool* ob = static_cast<bool*>(out);
  // One case per row of the tables in kernels/op_kinds.h (Note [One table per elementwise op
  // family]); an op's kernel exists for the dtypes its DtypeRule takes.
  switch (op) {
#define EMBER_ARITHMETIC_CASE(Op, name, F, rule, py)                                     \
  case BinaryOp::Op:                                                                     \
    if constexpr (rule_takes<T>(DtypeRule::rule)) return binary_loop(o, pa, pb, s, F{}); \
    break;
#define EMBER_COMPARISON_CASE(Op, name, F) \
  case BinaryOp::Op: return binary_loop(ob, pa, pb, s, F{});
    EMBER_BINARY_OPS(EMBER_ARITHMETIC_CASE)
    EMBER_COMPARISON_OPS(EMBER_COMPARISON_CASE)
    EMBER_LOGICAL_OPS(EMBER_COMPARISON_CASE)
#undef EMBER_ARITHMETIC_CASE
#undef EMBER_COMPARISON_CASE
  }
  fail(ErrorKind::Type, "[binary] op not supported for this dtype");
}

}  // namespace

void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop) {
  if (!a) a = &loop.scalar_bits[1];  // Note [Scalars by value]: stride 0, so this one value serves
  if (!b) b = &loop.scalar_bits[2];
  EMBER_DISPATCH_ALL(compute, "binary", [&] { binary_typed<scalar_t>(op, out, a, b, loop); });
}

}  // namespace ember::kernels::cpu
