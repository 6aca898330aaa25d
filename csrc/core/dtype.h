// The five element types ember knows, PyTorch's promotion lattice over them, and the
// dispatch macros that turn a runtime DType into a C++ type for a kernel template.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.h"

namespace ember {

enum class DType : uint8_t { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "ember.bool";
    case DType::Int32: return "ember.int32";
    case DType::Int64: return "ember.int64";
    case DType::Float32: return "ember.float32";
    case DType::Float64: return "ember.float64";
  }
  return "ember.unknown";
}

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline bool is_integral(DType d) { return d == DType::Int32 || d == DType::Int64; }

// Bool < Int32 < Int64 < Float32 < Float64: with only these five types PyTorch's table is a total
// order (int32 + int64 gives int64, int32 + float32 gives float32).
inline DType promote_types(DType a, DType b) { return a > b ? a : b; }

// How a Python number takes part in type promotion: PyTorch treats it as "weaker" than any tensor
// of the same category, so float32_tensor * 2.5 stays float32 and int64_tensor * 2.5 gives
// the default float dtype.
enum class ScalarKind : uint8_t { Bool, Int, Float };

struct Scalar {
  double value;
  ScalarKind kind;
};

inline DType promote_with_scalar(DType t, ScalarKind s, DType default_float = DType::Float32) {
  if (s == ScalarKind::Float && !is_floating(t)) return default_float;
  if (s == ScalarKind::Int && t == DType::Bool) return DType::Int64;
  return t;
}

template <typename T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

}  // namespace ember

#define EMBER_DTYPE_CASE(enum_value, cpp_type, ...) \
  case ::ember::DType::enum_value: {                \
    using scalar_t = cpp_type;                      \
    return __VA_ARGS__();                           \
  }

// EMBER_DISPATCH_FLOATING(dtype, "op", [&] { kernel<scalar_t>(...); })
#define EMBER_DISPATCH_FLOATING(dtype, opname, ...)                                           \
  [&] {                                                                                       \
    switch (dtype) {                                                                          \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)                                           \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)                                          \
      default:                                                                                \
        ::ember::fail(::ember::ErrorKind::Type, "[", opname, "] expected a floating dtype, got ", \
                      ::ember::dtype_name(dtype));                                            \
    }                                                                                         \
  }()

#define EMBER_DISPATCH_NUMERIC(dtype, opname, ...)                                             \
  [&] {                                                                                        \
    switch (dtype) {                                                                           \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)                                            \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)                                           \
      EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                                            \
      EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)                                            \
      default:                                                                                 \
        ::ember::fail(::ember::ErrorKind::Type, "[", opname, "] not supported for dtype ",     \
                      ::ember::dtype_name(dtype));                                             \
    }                                                                                          \
  }()

#define EMBER_DISPATCH_ALL(dtype, opname, ...)                                                 \
  [&] {                                                                                        \
    switch (dtype) {                                                                           \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)                                            \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)                                           \
      EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)                                            \
      EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)                                            \
      EMBER_DTYPE_CASE(Bool, bool, __VA_ARGS__)                                                \
    }                                                                                          \
    ::ember::fail(::ember::ErrorKind::Type, "[", opname, "] unknown dtype");                  \
  }()
