// CUDA twins of kernels::cpu::unary and clamp.
#include "kernels/unary.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/functors.h"

namespace ember::kernels::cuda {

namespace {

template <typename T>
void unary_typed(UnaryOp op, void* out, const void* x, const LoopShape& s) {
  T* o = static_cast<T*>(out);
  bool* ob = static_cast<bool*>(out);
  auto* px = static_cast<const T*>(x);
  // One case per row of EMBER_UNARY_OPS (kernels/op_kinds.h), as in the CPU kernel; the ops
  // refuse or promote the dtypes an op's DtypeRule does not take.
  switch (op) {
#define EMBER_UNARY_CASE(Op, name, F, rule)                                                       \
  case UnaryOp::Op:                                                                               \
    if constexpr (rule_takes<T>(DtypeRule::rule)) return launch_elementwise(name, s, F{}, o, px); \
    break;
#define EMBER_PREDICATE_CASE(Op, name, F) \
  case UnaryOp::Op: return launch_elementwise(name, s, F{}, ob, px);
    EMBER_UNARY_OPS(EMBER_UNARY_CASE)
    EMBER_UNARY_PREDICATES(EMBER_PREDICATE_CASE)
#undef EMBER_UNARY_CASE
#undef EMBER_PREDICATE_CASE
  }
  fail(ErrorKind::Type, "[unary] op not supported for this dtype on cuda");
}

}  // namespace

void unary(UnaryOp op, DType dtype, void* out, const void* x, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(dtype, "unary", [&] { unary_typed<scalar_t>(op, out, x, loop); });
}

void clamp(DType dtype, void* out, const void* x, std::optional<double> lo, std::optional<double> hi,
           const LoopShape& loop) {
  EMBER_DISPATCH_NUMERIC(dtype, "clamp", [&] {
    ClampF<scalar_t> f{static_cast<scalar_t>(lo.value_or(0)), static_cast<scalar_t>(hi.value_or(0)),
                       lo.has_value(), hi.has_value()};
    launch_elementwise("clamp", loop, f, static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x));
  });
}

}  // namespace ember::kernels::cuda
