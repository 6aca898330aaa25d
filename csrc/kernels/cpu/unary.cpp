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
  bool* ob = static_cast<bool*>(out);
  auto* px = static_cast<const T*>(x);
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
  // One case per row of EMBER_UNARY_OPS (kernels/op_kinds.h, Note [One table per elementwise op
  // family]); an op's kernel exists for the dtypes its DtypeRule takes.
  switch (op) {
#define EMBER_UNARY_CASE(Op, name, F, rule)                                         \
  case UnaryOp::Op:                                                                 \
    if constexpr (rule_takes<T>(DtypeRule::rule)) return unary_loop(o, px, s, F{}); \
    break;
#define EMBER_PREDICATE_CASE(Op, name, F) \
  case UnaryOp::Op: return unary_loop(ob, px, s, F{});
    EMBER_UNARY_OPS(EMBER_UNARY_CASE)
    EMBER_UNARY_PREDICATES(EMBER_PREDICATE_CASE)
#undef EMBER_UNARY_CASE
#undef EMBER_PREDICATE_CASE
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
