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
// Ops with bool results have their own tables (unary predicates, comparisons, logical ops): their
// kernels write bool, they record no gradient, and their in-place forms cast back to self's dtype.
// Special cases stay where they are explained: the float32 polynomial exp/sigmoid of the CPU
// (Note [Polynomial exp]), PyTorch's own messages for the dtypes it refuses, operators
// (__add__, __mod__, __and__ ...), round's decimals= and the composites (lerp, addcmul ...,
// ops/pointwise_composite.cpp) in bindings/init_math.cpp.
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
  Floating, // floats only: the op refuses integer and bool tensors (silu, frac, hypot)
  Integral, // integers and bool only: the op refuses floating tensors (bitwise_and, bitwise_not)
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
  X(Sign, "sign", SignF, Any)                 \
  X(Round, "round", RoundF, NoBool)           \
  X(Floor, "floor", FloorF, NoBool)           \
  X(Ceil, "ceil", CeilF, NoBool)              \
  X(Trunc, "trunc", TruncF, NoBool)           \
  X(Frac, "frac", FracF, Floating)            \
  X(Erf, "erf", ErfF, ToFloat)                \
  X(Erfc, "erfc", ErfcF, ToFloat)             \
  X(Log1p, "log1p", Log1pF, ToFloat)          \
  X(Expm1, "expm1", Expm1F, ToFloat)          \
  X(Log2, "log2", Log2F, ToFloat)             \
  X(Log10, "log10", Log10F, ToFloat)          \
  X(Exp2, "exp2", Exp2F, ToFloat)             \
  X(Rsqrt, "rsqrt", RsqrtF, ToFloat)          \
  X(Square, "square", SquareF, NoBool)        \
  X(Reciprocal, "reciprocal", ReciprocalF, ToFloat) \
  X(Tan, "tan", TanF, ToFloat)                \
  X(Asin, "asin", AsinF, ToFloat)             \
  X(Acos, "acos", AcosF, ToFloat)             \
  X(Atan, "atan", AtanF, ToFloat)             \
  X(Sinh, "sinh", SinhF, ToFloat)             \
  X(Cosh, "cosh", CoshF, ToFloat)             \
  X(Silu, "silu", SiluF, Floating)            \
  X(Mish, "mish", MishF, Floating)            \
  X(Selu, "selu", SeluF, Floating)            \
  X(Logsigmoid, "logsigmoid", LogsigmoidF, Floating) \
  X(BitwiseNot, "bitwise_not", BitwiseNotF, Integral)

// Predicates give bool and take every dtype; no in-place form except logical_not_ (whose result
// is cast back to the input's dtype, as in PyTorch). X(Op, name, Functor)
#define EMBER_UNARY_PREDICATES(X)          \
  X(Isnan, "isnan", IsnanF)                \
  X(Isinf, "isinf", IsinfF)                \
  X(Isfinite, "isfinite", IsfiniteF)       \
  X(Isposinf, "isposinf", IsposinfF)       \
  X(Isneginf, "isneginf", IsneginfF)       \
  X(Signbit, "signbit", SignbitF)          \
  X(LogicalNot, "logical_not", LogicalNotF)

// X(Op, name, Functor, DtypeRule, PyArgs). PyArgs: Operand = a tensor or a Python number, with an
// in-place form (mul_); Alpha = the same plus torch.add's alpha=; Tensors = two tensors, no
// in-place form (torch.maximum); TensorsInplace = two tensors, with an in-place form (atan2_).
#define EMBER_BINARY_OPS(X)                  \
  X(Add, "add", AddF, Any, Alpha)            \
  X(Sub, "sub", SubF, NoBool, Alpha)         \
  X(Mul, "mul", MulF, Any, Operand)          \
  X(Div, "div", DivF, ToFloat, Operand)      \
  X(Pow, "pow", PowF, NoBool, Operand)       \
  X(Maximum, "maximum", MaxF, Any, Tensors)  \
  X(Minimum, "minimum", MinF, Any, Tensors)  \
  X(Fmax, "fmax", FmaxF, Any, Tensors)       \
  X(Fmin, "fmin", FminF, Any, Tensors)       \
  X(Fmod, "fmod", FmodF, NoBool, Operand)    \
  X(Remainder, "remainder", RemainderF, NoBool, Operand) \
  X(FloorDivide, "floor_divide", FloorDivideF, NoBool, Operand) \
  X(Atan2, "atan2", Atan2F, ToFloat, TensorsInplace) \
  X(Hypot, "hypot", HypotF, Floating, TensorsInplace) \
  X(Copysign, "copysign", CopysignF, ToFloat, Operand) \
  X(Xlogy, "xlogy", XlogyF, ToFloat, Operand) \
  X(BitwiseAnd, "bitwise_and", BitAndF, Integral, Operand) \
  X(BitwiseOr, "bitwise_or", BitOrF, Integral, Operand) \
  X(BitwiseXor, "bitwise_xor", BitXorF, Integral, Operand)

// Comparisons give bool and take every dtype; Python has each as a method and an operator
// (eq and __eq__). X(Op, name, Functor)
#define EMBER_COMPARISON_OPS(X) \
  X(Eq, "eq", EqF)              \
  X(Ne, "ne", NeF)              \
  X(Lt, "lt", LtF)              \
  X(Le, "le", LeF)              \
  X(Gt, "gt", GtF)              \
  X(Ge, "ge", GeF)

// The logical ops also give bool from every dtype, but have no operator; they take two tensors
// and have in-place forms (logical_and_, cast back to self's dtype). X(Op, name, Functor)
#define EMBER_LOGICAL_OPS(X)                     \
  X(LogicalAnd, "logical_and", LogicalAndF)      \
  X(LogicalOr, "logical_or", LogicalOrF)         \
  X(LogicalXor, "logical_xor", LogicalXorF)

#define EMBER_OP_ENUMERATOR_(Op, ...) Op,
// The arithmetic ops first, then the predicates (is_predicate).
enum class UnaryOp : uint8_t { EMBER_UNARY_OPS(EMBER_OP_ENUMERATOR_) EMBER_UNARY_PREDICATES(EMBER_OP_ENUMERATOR_) };
// The arithmetic ops first, then the comparisons and logical ops (is_comparison: bool results).
enum class BinaryOp : uint8_t {
  EMBER_BINARY_OPS(EMBER_OP_ENUMERATOR_) EMBER_COMPARISON_OPS(EMBER_OP_ENUMERATOR_) EMBER_LOGICAL_OPS(EMBER_OP_ENUMERATOR_)
};
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
#define EMBER_PREDICATE_KIND_(Op, name, F) {UnaryOp::Op, name, DtypeRule::Any},
inline constexpr OpKind<UnaryOp> kUnaryOps[] = {EMBER_UNARY_OPS(EMBER_UNARY_KIND_)
                                                    EMBER_UNARY_PREDICATES(EMBER_PREDICATE_KIND_)};
inline constexpr OpKind<BinaryOp> kBinaryOps[] = {EMBER_BINARY_OPS(EMBER_BINARY_KIND_)
                                                      EMBER_COMPARISON_OPS(EMBER_COMPARISON_KIND_)
                                                          EMBER_LOGICAL_OPS(EMBER_COMPARISON_KIND_)};
#undef EMBER_PREDICATE_KIND_
#undef EMBER_UNARY_KIND_
#undef EMBER_BINARY_KIND_
#undef EMBER_COMPARISON_KIND_

#define EMBER_COUNT_ROW_(...) +1
inline constexpr int kUnaryArithmeticCount = 0 EMBER_UNARY_OPS(EMBER_COUNT_ROW_);
inline constexpr int kUnaryOpCount = kUnaryArithmeticCount EMBER_UNARY_PREDICATES(EMBER_COUNT_ROW_);
inline constexpr int kArithmeticOpCount = 0 EMBER_BINARY_OPS(EMBER_COUNT_ROW_);
inline constexpr int kBinaryOpCount =
    kArithmeticOpCount EMBER_COMPARISON_OPS(EMBER_COUNT_ROW_) EMBER_LOGICAL_OPS(EMBER_COUNT_ROW_);
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

// Ops whose result is bool (comparisons, logical ops, predicates): no gradient, and an in-place
// form casts the bool result back to self's dtype.
constexpr bool is_comparison(BinaryOp op) { return static_cast<int>(op) >= kArithmeticOpCount; }
constexpr bool is_predicate(UnaryOp op) { return static_cast<int>(op) >= kUnaryArithmeticCount; }

// Whether a kernel of an op with `rule` exists for element type T (the kernel switches skip the
// others at compile time; the ops never ask for them).
template <typename T>
constexpr bool rule_takes(DtypeRule rule) {
  return rule == DtypeRule::Any || (rule == DtypeRule::NoBool && !std::is_same_v<T, bool>) ||
         ((rule == DtypeRule::ToFloat || rule == DtypeRule::Floating) && std::is_floating_point_v<T>) ||
         (rule == DtypeRule::Integral && !std::is_floating_point_v<T>);
}

}  // namespace ember
