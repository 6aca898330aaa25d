// The CPU unary elementwise kernels (kernels/unary.h); their CUDA twins are in kernels/cuda/unary.cu.
#include "kernels/unary.h"

#include <type_traits>

#include "kernels/cpu/fast_math.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/simd_math.h"
#include "kernels/functors.h"

namespace ember::kernels::cpu {

namespace {

template <typename T>
void unary_typed(UnaryOp op, void* out, const void* x, const LoopShape& s) {
  T* o = static_cast<T*>(out);
  auto* px = static_cast<const T*>(x);
  switch (op) {
    case UnaryOp::Neg: return unary_loop(o, px, s, NegF{});
    case UnaryOp::Relu: return unary_loop(o, px, s, ReluF{});
    case UnaryOp::Abs: return unary_loop(o, px, s, AbsF{});
    case UnaryOp::Sign: return unary_loop(o, px, s, SignF{});
    default: break;
  }
  if constexpr (std::is_same_v<T, float>) {
    // float32 exp and sigmoid use the vectorised polynomial (Note [Polynomial exp]); contiguous
    // data goes through the run-time-dispatched array kernels, strided data through the same
    // formula element by element (equal up to the FMA contraction of the AVX builds, < 1 ulp).
    if (op == UnaryOp::Exp || op == UnaryOp::Sigmoid) {
      const bool is_exp = op == UnaryOp::Exp;
      if (is_flat_contiguous(s)) {
        parallel_for(s.sizes[0], kParallelGrain, [&](int64_t lo, int64_t hi) {
          if (is_exp) exp_shifted_f32(o + lo, px + lo, hi - lo, 0.0f);
          else sigmoid_f32(o + lo, px + lo, hi - lo);
        });
        return;
      }
      if (is_exp) return unary_loop(o, px, s, [](float v) { return fast_expf(v); });
      return unary_loop(o, px, s, [](float v) { return fast_sigmoidf(v); });
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    switch (op) {
      case UnaryOp::Exp: return unary_loop(o, px, s, ExpF{});
      case UnaryOp::Log: return unary_loop(o, px, s, LogF{});
      case UnaryOp::Tanh: return unary_loop(o, px, s, TanhF{});
      case UnaryOp::Sigmoid: return unary_loop(o, px, s, SigmoidF{});
      case UnaryOp::Sqrt: return unary_loop(o, px, s, SqrtF{});
      case UnaryOp::Sin: return unary_loop(o, px, s, SinF{});
      case UnaryOp::Cos: return unary_loop(o, px, s, CosF{});
      default: break;
    }
  }
  fail(ErrorKind::Type, "[unary] op not supported for this dtype");
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
    unary_loop(static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x), loop, f);
  });
}

}  // namespace ember::kernels::cpu
