// CUDA twins of kernels::cpu::unary and clamp.
#include "kernels/unary.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/functors.h"

namespace ember::kernels::cuda {

namespace {

template <typename T>
void unary_typed(UnaryOp op, void* out, const void* x, const LoopShape& s) {
  T* o = static_cast<T*>(out);
  auto* px = static_cast<const T*>(x);
  switch (op) {
    case UnaryOp::Abs: return launch_elementwise("abs", s, AbsF{}, o, px);
    case UnaryOp::Sign: return launch_elementwise("sign", s, SignF{}, o, px);
    default: break;
  }
  if constexpr (!std::is_same_v<T, bool>) {  // neg and relu of bool are rejected by ops/unary.cpp
    switch (op) {
      case UnaryOp::Neg: return launch_elementwise("neg", s, NegF{}, o, px);
      case UnaryOp::Relu: return launch_elementwise("relu", s, ReluF{}, o, px);
      default: break;
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp: return launch_elementwise("exp", s, ExpF{}, o, px);
      case UnaryOp::Log: return launch_elementwise("log", s, LogF{}, o, px);
      case UnaryOp::Tanh: return launch_elementwise("tanh", s, TanhF{}, o, px);
      case UnaryOp::Sigmoid: return launch_elementwise("sigmoid", s, SigmoidF{}, o, px);
      case UnaryOp::Sqrt: return launch_elementwise("sqrt", s, SqrtF{}, o, px);
      case UnaryOp::Sin: return launch_elementwise("sin", s, SinF{}, o, px);
      case UnaryOp::Cos: return launch_elementwise("cos", s, CosF{}, o, px);
      default: break;
    }
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
