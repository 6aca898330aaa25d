// The elementwise ops, each declared once in a table (an X-macro), shared by the ops layer, both
// kernel backends and the bindings.
//
// Note [One table per elementwise op family]
// A row names the op's enumerator, its name (the Python method and function, and what errors
// say), its per-element functor (kernels/functors.h) and the dtypes it takes (DtypeRule); a
// binary row also says how Python passes its operands (bindings/init_math.cpp). From the tables
// come the enums, op_name / dtype_rule below, the CPU and CUDA kernel switches
// (kernels/cpu/{unary,binary}.cpp, kernels/cuda/{unary,binary}.cu), and the Tensor methods and
// ember functions (bindings/init_math.cpp; python/ember re-exports _C.__all__). So a new op is a
// row here, its functor, its derivative in ops/unary.cpp or ops/binary.cpp (record_backward's
// switch has no default: the build warns until the op has its case) and a test-table entry.
// Special cases stay where they are explained: the float32 polynomial exp/sigmoid of the CPU
// (Note [Polynomial exp]), PyTorch's own messages for the bool inputs it refuses, operators
// (__add__, __truediv__ ...) in bindings/init_math.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ember {

// The dtypes an op's kernels take.
enum class DtypeRule : uint8_t {
  Any,      // every dtype, bool included
  NoBool,   // integers and floats; the op refuses bool tensors
  ToFloat,  // floats only: an integer or bool input is computed in the default float dtype
};

// X(Op, name, Functor, DtypeRule)
#define EMBER_UNARY_OPS(X)                 \
  X(Neg, "neg", NegF, NoBool)              \
  X(Exp, "exp", ExpF, ToFloat)             \
  X(Log, "log", LogF, ToFloat)             \
  X(Tanh, "tanh", TanhF, ToFloat)          \
  X(Sigmoid, "sigmoid", SigmoidF, ToFloat) \
  X(Relu, "relu", ReluF, NoBool)           \
  X(Sqrt, "sqrt", SqrtF, ToFloat)          \
  X(Abs, "abs", AbsF, NoBool)              \
  X(Sin, "sin", SinF, ToFloat)             \
  X(Cos, "cos", CosF, ToFloat)             \
  X(Sign, "sign", SignF, Any)

// X(Op, name, Functor, DtypeRule, PyArgs). PyArgs: Operand = a tensor or a Python number, with an
// in-place form (mul_); Alpha = the same plus torch.add's alpha=; Tensors = two tensors, no
// in-place form (torch.maximum).
#define EMBER_BINARY_OPS(X)                  \
  X(Add, "add", AddF, Any, Alpha)            \
  X(Sub, "sub", SubF, NoBool, Alpha)         \
  X(Mul, "mul", MulF, Any, Operand)          \
  X(Div, "div", DivF, ToFloat, Operand)      \
  X(Pow, "pow", PowF, NoBool, Operand)       \
  X(Maximum, "maximum", MaxF, Any, Tensors)  \
  X(Minimum, "minimum", MinF, Any, Tensors)

// Comparisons give bool and take every dtype; Python has each as a method and an operator
// (eq and __eq__). X(Op, name, Functor)
#define EMBER_COMPARISON_OPS(X) \
  X(Eq, "eq", EqF)              \
  X(Ne, "ne", NeF)              \
  X(Lt, "lt", LtF)              \
  X(Le, "le", LeF)              \
  X(Gt, "gt", GtF)              \
  X(Ge, "ge", GeF)

#define EMBER_OP_ENUMERATOR_(Op, ...) Op,
enum class UnaryOp : uint8_t { EMBER_UNARY_OPS(EMBER_OP_ENUMERATOR_) };
// The arithmetic ops first, then the comparisons (is_comparison).
enum class BinaryOp : uint8_t { EMBER_BINARY_OPS(EMBER_OP_ENUMERATOR_) EMBER_COMPARISON_OPS(EMBER_OP_ENUMERATOR_) };
#undef EMBER_OP_ENUMERATOR_

// What the ops and bindings read of a row at run time.
template <typename Op>
struct OpKind {
  Op op;
  const char* name;
  DtypeRule rule;
};

#define EMBER_UNARY_KIND_(Op, name, F, rule) {UnaryOp::Op, name, DtypeRule::rule},
#define EMBER_BINARY_KIND_(Op, name, F, rule, py) {BinaryOp::Op, name, DtypeRule::rule},
#define EMBER_COMPARISON_KIND_(Op, name, F) {BinaryOp::Op, name, DtypeRule::Any},
inline constexpr OpKind<UnaryOp> kUnaryOps[] = {EMBER_UNARY_OPS(EMBER_UNARY_KIND_)};
inline constexpr OpKind<BinaryOp> kBinaryOps[] = {EMBER_BINARY_OPS(EMBER_BINARY_KIND_)
                                                      EMBER_COMPARISON_OPS(EMBER_COMPARISON_KIND_)};
#undef EMBER_UNARY_KIND_
#undef EMBER_BINARY_KIND_
#undef EMBER_COMPARISON_KIND_

#define EMBER_COUNT_ROW_(...) +1
inline constexpr int kUnaryOpCount = 0 EMBER_UNARY_OPS(EMBER_COUNT_ROW_);
inline constexpr int kArithmeticOpCount = 0 EMBER_BINARY_OPS(EMBER_COUNT_ROW_);
inline constexpr int kBinaryOpCount = kArithmeticOpCount EMBER_COMPARISON_OPS(EMBER_COUNT_ROW_);
#undef EMBER_COUNT_ROW_

// Row i of a kind table describes enumerator i, and the enum fits its uint8_t.
template <typename Op, size_t N>
constexpr bool rows_match_enum(const OpKind<Op> (&rows)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(rows[i].op) != i) return false;
  return N <= 256;
}
static_assert(rows_match_enum(kUnaryOps), "kUnaryOps must list UnaryOp in enum order");
static_assert(rows_match_enum(kBinaryOps), "kBinaryOps must list BinaryOp in enum order");
static_assert(sizeof(kUnaryOps) / sizeof(kUnaryOps[0]) == kUnaryOpCount, "one row per UnaryOp");
static_assert(sizeof(kBinaryOps) / sizeof(kBinaryOps[0]) == kBinaryOpCount, "one row per BinaryOp");

constexpr const OpKind<UnaryOp>& kind_of(UnaryOp op) { return kUnaryOps[static_cast<int>(op)]; }
constexpr const OpKind<BinaryOp>& kind_of(BinaryOp op) { return kBinaryOps[static_cast<int>(op)]; }
constexpr const char* op_name(UnaryOp op) { return kind_of(op).name; }
constexpr const char* op_name(BinaryOp op) { return kind_of(op).name; }
constexpr DtypeRule dtype_rule(UnaryOp op) { return kind_of(op).rule; }
constexpr DtypeRule dtype_rule(BinaryOp op) { return kind_of(op).rule; }

constexpr bool is_comparison(BinaryOp op) { return static_cast<int>(op) >= kArithmeticOpCount; }

// Whether a kernel of an op with `rule` exists for element type T (the kernel switches skip the
// others at compile time; the ops never ask for them).
template <typename T>
constexpr bool rule_takes(DtypeRule rule) {
  return rule == DtypeRule::Any || (rule == DtypeRule::NoBool && !std::is_same_v<T, bool>) ||
         (rule == DtypeRule::ToFloat && std::is_floating_point_v<T>);
}

}  // namespace ember
