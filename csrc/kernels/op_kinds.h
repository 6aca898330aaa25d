// The names of the elementwise ops, shared by the ops layer and both kernel backends.
#pragma once
#include <cstdint>

namespace ember {

enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };
enum class UnaryOp : uint8_t { Neg, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Abs, Sin, Cos, Sign };

inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }

}  // namespace ember
