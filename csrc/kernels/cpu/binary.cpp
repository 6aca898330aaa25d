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
  switch (op) {
    case BinaryOp::Add: return binary_loop(o, pa, pb, s, AddF{});
    case BinaryOp::Sub: return binary_loop(o, pa, pb, s, SubF{});
    case BinaryOp::Mul: return binary_loop(o, pa, pb, s, MulF{});
    case BinaryOp::Div: return binary_loop(o, pa, pb, s, DivF{});
    case BinaryOp::Pow: return binary_loop(o, pa, pb, s, PowF{});
    case BinaryOp::Maximum: return binary_loop(o, pa, pb, s, MaxF{});
    case BinaryOp::Minimum: return binary_loop(o, pa, pb, s, MinF{});
    case BinaryOp::Eq: return binary_loop(ob, pa, pb, s, EqF{});
    case BinaryOp::Ne: return binary_loop(ob, pa, pb, s, NeF{});
    case BinaryOp::Lt: return binary_loop(ob, pa, pb, s, LtF{});
    case BinaryOp::Le: return binary_loop(ob, pa, pb, s, LeF{});
    case BinaryOp::Gt: return binary_loop(ob, pa, pb, s, GtF{});
    case BinaryOp::Ge: return binary_loop(ob, pa, pb, s, GeF{});
  }
}

}  // namespace

void binary(BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(compute, "binary", [&] { binary_typed<scalar_t>(op, out, a, b, loop); });
}

}  // namespace ember::kernels::cpu
