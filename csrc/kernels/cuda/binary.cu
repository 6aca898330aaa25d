// CUDA twin of kernels::cpu::binary: the same functors, one kernel per (op, dtype) that the
// ops layer can ask for (bool never reaches sub, div or pow: ops/binary.cpp rejects or promotes).
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
  switch (op) {
    case BinaryOp::Add: return launch_elementwise("add", s, AddF{}, o, pa, pb);
    case BinaryOp::Mul: return launch_elementwise("mul", s, MulF{}, o, pa, pb);
    case BinaryOp::Maximum: return launch_elementwise("maximum", s, MaxF{}, o, pa, pb);
    case BinaryOp::Minimum: return launch_elementwise("minimum", s, MinF{}, o, pa, pb);
    case BinaryOp::Eq: return launch_elementwise("eq", s, EqF{}, ob, pa, pb);
    case BinaryOp::Ne: return launch_elementwise("ne", s, NeF{}, ob, pa, pb);
    case BinaryOp::Lt: return launch_elementwise("lt", s, LtF{}, ob, pa, pb);
    case BinaryOp::Le: return launch_elementwise("le", s, LeF{}, ob, pa, pb);
    case BinaryOp::Gt: return launch_elementwise("gt", s, GtF{}, ob, pa, pb);
    case BinaryOp::Ge: return launch_elementwise("ge", s, GeF{}, ob, pa, pb);
    default: break;
  }
  if constexpr (!std::is_same_v<T, bool>) {
    switch (op) {
      case BinaryOp::Sub: return launch_elementwise("sub", s, SubF{}, o, pa, pb);
      case BinaryOp::Div: return launch_elementwise("div", s, DivF{}, o, pa, pb);
      case BinaryOp::Pow: return launch_elementwise("pow", s, PowF{}, o, pa, pb);
      default: break;
    }
  }
  fail(ErrorKind::Type, "[binary] op not supported for this dtype on cuda");
}

}  // namespace

void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(compute, "binary", [&] { binary_typed<scalar_t>(op, out, a, b, loop); });
}

}  // namespace ember::kernels::cuda
