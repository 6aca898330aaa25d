// Emulated checks of the elementwise CUDA twins (every row of the unary, binary, comparison and
// logical tables; copy, random, activation: all
// through launch.cuh or their own grid-stride loops) against naive loops over the same functors
// (kernels/functors.h) and, for random_fill and the activations, the CPU twins (linked in):
// strided, broadcast (stride 0) and transposed operands, lengths around the block size.
#include <limits>
#include <optional>

#include "harness_common.h"
#include "kernels/activation.h"
#include "kernels/binary.h"
#include "kernels/copy.h"
#include "kernels/functors.h"
#include "kernels/random.h"
#include "kernels/unary.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
namespace kcpu = ember::kernels::cpu;
using namespace ember::kernels;
using ember::DType;
using ember::BinaryOp;
using ember::UnaryOp;

namespace {


// A [rows, cols] loop: out contiguous, a transposed ([cols, rows] storage), b broadcast along
// rows (stride 0), c contiguous. Or one flat dim (the launcher's fast path) when `flat`.
LoopShape make_loop(int64_t rows, int64_t cols, int noperands, bool flat) {
  LoopShape s;
  s.noperands = noperands;
  if (flat) {
    s.ndim = 1;
    s.sizes[0] = rows * cols;
    for (int k = 0; k < noperands; ++k) s.strides[k][0] = 1;
    return s;
  }
  s.ndim = 2;
  s.sizes[0] = rows, s.sizes[1] = cols;
  const int64_t st[4][2] = {{cols, 1}, {1, rows}, {0, 1}, {cols, 1}};
  for (int k = 0; k < noperands; ++k) s.strides[k][0] = st[k][0], s.strides[k][1] = st[k][1];
  return s;
}

int64_t off(const LoopShape& s, int k, int64_t i) {
  int64_t o = 0;
  for (int d = s.ndim - 1; d >= 0; --d) o += (i % s.sizes[d]) * s.strides[k][d], i /= s.sizes[d];
  return o;
}

template <class T, class Out, class F>
void check_binary_op(BinaryOp op, F f, const char* name) {
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 85}, {17, 31}, {2, 300}})
    for (bool flat : {false, true}) {
      const LoopShape s = make_loop(rows, cols, 3, flat);
      const int64_t n = rows * cols;
      auto a = random_values<T>(n, n + 1), b = random_values<T>(n, n + 2);
      if constexpr (std::is_floating_point_v<T>)
        for (int64_t i = 0; i < n; i += 7) b[i] = a[off(s, 1, i)];  // some equal pairs for comparisons
      Vec<Out> out(n + 1, Out(1));
      kc::binary(op, ember::dtype_of<T>::value, out.data(), a.data(), b.data(), s);
      for (int64_t i = 0; i < n; ++i) {
        const double want = double(Out(f(a[off(s, 1, i)], b[off(s, 2, i)])));
        expect_close(double(out[off(s, 0, i)]), want, 1e-6, 1e-6,
                     std::string(name) + fmt(" rows=%lld cols=%lld flat=%lld i=%lld", rows, cols, flat, i));
      }
      expect(out[n] == Out(1), std::string(name) + " wrote past the end");

      // Note [Scalars by value]: a null input is the loop's scalar, with strides 0.
      LoopShape sv = s;
      for (int d = 0; d < sv.ndim; ++d) sv.strides[1][d] = 0;
      const T value = a[0];
      sv.set_scalar(1, value);
      Vec<Out> out2(n + 1, Out(1));
      kc::binary(op, ember::dtype_of<T>::value, out2.data(), nullptr, b.data(), sv);
      for (int64_t i = 0; i < n; ++i)
        expect(out2[off(sv, 0, i)] == Out(f(value, b[off(sv, 2, i)])),
               std::string(name) + fmt(" scalar by value rows=%lld cols=%lld flat=%lld i=%lld", rows, cols, flat, i));
    }
}

template <class T>
void check_binary() {
  check_binary_op<T, T>(BinaryOp::Add, AddF{}, "add");
  check_binary_op<T, T>(BinaryOp::Mul, MulF{}, "mul");
  check_binary_op<T, T>(BinaryOp::Maximum, MaxF{}, "maximum");
  check_binary_op<T, bool>(BinaryOp::Lt, LtF{}, "lt");
  check_binary_op<T, bool>(BinaryOp::Eq, EqF{}, "eq");
  if constexpr (!std::is_same_v<T, bool>) {
    check_binary_op<T, T>(BinaryOp::Sub, SubF{}, "sub");
    if constexpr (std::is_floating_point_v<T>) check_binary_op<T, T>(BinaryOp::Div, DivF{}, "div");
  }
}

// Every row of the op tables (kernels/op_kinds.h) that a dtype takes: the CUDA kernel against the
// row's functor applied element by element, which is what the CPU twin's loop computes (float32
// exp and sigmoid aside: the CPU takes the polynomial of Note [Polynomial exp] there, checked
// against PyTorch by tests/test_ops.py). Floats include NaN, +-inf and -0.0; integers their limits,
// where add, sub, mul, neg, abs and pow wrap (Note [Wrapping integer arithmetic]; a build with
// -fsanitize=undefined, run.py --ubsan, checks that no functor overflows a signed type).
template <class T>
Vec<T> table_inputs(int64_t n, uint64_t seed) {
  auto v = random_values<T>(n, seed, std::is_integral_v<T> ? 0.3 : 3.0);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const T specials[] = {std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T(-1),
                          T(std::numeric_limits<T>::max() / 2 + 1), T(3), T(-3)};
    for (int64_t i = 0; i < n; i += 7) v[i] = specials[(i / 7) % 6];
  }
  if constexpr (std::is_floating_point_v<T>) {
    const T specials[] = {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                          -std::numeric_limits<T>::infinity(), T(0), T(-0.0), T(1), T(-1), T(0.5)};
    for (int64_t i = 0; i < n; i += 5) v[i] = specials[(i / 5) % 8];
  }
  return v;
}

template <class T>
void check_unary_table() {
  const DType dt = ember::dtype_of<T>::value;
  const double tol = std::is_integral_v<T> ? 0.0 : 1e-6;
  for (bool flat : {false, true}) {
    const int64_t rows = 7, cols = 45, n = rows * cols;
    const LoopShape s = make_loop(rows, cols, 2, flat);
    auto x = table_inputs<T>(n, 11);
#define EMBER_CHECK_UNARY_ROW(Op, name, F, rule)                                                          \
    if constexpr (ember::rule_takes<T>(ember::DtypeRule::rule)) {                                          \
      Vec<T> out(n + 1, T(1));                                                                             \
      kc::unary(UnaryOp::Op, dt, out.data(), x.data(), s);                                                 \
      for (int64_t i = 0; i < n; ++i)                                                                      \
        expect_close(double(out[off(s, 0, i)]), double(F{}(x[off(s, 1, i)])), tol, tol,                    \
                     std::string(name) + fmt(" flat=%lld i=%lld", flat, i));                               \
      expect(out[n] == T(1), std::string(name) + " wrote past the end");                                   \
    }
#define EMBER_CHECK_PREDICATE_ROW(Op, name, F)                                                             \
    {                                                                                                      \
      Vec<bool> out(n + 1, true);                                                                          \
      kc::unary(UnaryOp::Op, dt, out.data(), x.data(), s);                                                 \
      for (int64_t i = 0; i < n; ++i)                                                                      \
        expect(out[off(s, 0, i)] == F{}(x[off(s, 1, i)]), std::string(name) + fmt(" flat=%lld i=%lld", flat, i)); \
    }
    EMBER_UNARY_OPS(EMBER_CHECK_UNARY_ROW)
    EMBER_UNARY_PREDICATES(EMBER_CHECK_PREDICATE_ROW)
#undef EMBER_CHECK_UNARY_ROW
#undef EMBER_CHECK_PREDICATE_ROW
  }
}

template <class T>
void check_binary_table() {
  const DType dt = ember::dtype_of<T>::value;
  const double tol = std::is_integral_v<T> ? 0.0 : 1e-6;
  for (bool flat : {false, true}) {
    const int64_t rows = 6, cols = 37, n = rows * cols;
    const LoopShape s = make_loop(rows, cols, 3, flat);
    auto a = table_inputs<T>(n, 12), b = table_inputs<T>(n, 13);
#define EMBER_CHECK_BINARY_ROW(Op, name, F, rule, py)                                                      \
    if constexpr (ember::rule_takes<T>(ember::DtypeRule::rule)) {                                          \
      Vec<T> out(n + 1, T(1));                                                                             \
      kc::binary(BinaryOp::Op, dt, out.data(), a.data(), b.data(), s);                                     \
      for (int64_t i = 0; i < n; ++i)                                                                      \
        expect_close(double(out[off(s, 0, i)]), double(F{}(a[off(s, 1, i)], b[off(s, 2, i)])), tol, tol,   \
                     std::string(name) + fmt(" flat=%lld i=%lld", flat, i));                               \
      expect(out[n] == T(1), std::string(name) + " wrote past the end");                                   \
    }
#define EMBER_CHECK_BOOL_ROW(Op, name, F)                                                                  \
    {                                                                                                      \
      Vec<bool> out(n + 1, true);                                                                          \
      kc::binary(BinaryOp::Op, dt, out.data(), a.data(), b.data(), s);                                     \
      for (int64_t i = 0; i < n; ++i)                                                                      \
        expect(out[off(s, 0, i)] == F{}(a[off(s, 1, i)], b[off(s, 2, i)]),                                 \
               std::string(name) + fmt(" flat=%lld i=%lld", flat, i));                                     \
    }
    EMBER_BINARY_OPS(EMBER_CHECK_BINARY_ROW)
    EMBER_COMPARISON_OPS(EMBER_CHECK_BOOL_ROW)
    EMBER_LOGICAL_OPS(EMBER_CHECK_BOOL_ROW)
#undef EMBER_CHECK_BINARY_ROW
#undef EMBER_CHECK_BOOL_ROW
  }
}

template <class T>
void check_unary_copy_where() {
  const DType dt = ember::dtype_of<T>::value;
  for (bool flat : {false, true}) {
    const int64_t rows = 9, cols = 61, n = rows * cols;
    auto x = random_values<T>(n, 3);
    {
      const LoopShape s = make_loop(rows, cols, 2, flat);
      Vec<T> out(n + 1, T(1));
      // abs refuses bool (DtypeRule NoBool, kernels/op_kinds.h); sign takes every dtype.
      if constexpr (!std::is_same_v<T, bool>) {
        kc::unary(UnaryOp::Abs, dt, out.data(), x.data(), s);
        for (int64_t i = 0; i < n; ++i)
          expect_close(double(out[off(s, 0, i)]), double(AbsF{}(x[off(s, 1, i)])), 0, 0, fmt("abs flat=%lld i=%lld", flat, i));
      }
      kc::unary(UnaryOp::Sign, dt, out.data(), x.data(), s);
      for (int64_t i = 0; i < n; ++i)
        expect_close(double(out[off(s, 0, i)]), double(SignF{}(x[off(s, 1, i)])), 0, 0, fmt("sign flat=%lld i=%lld", flat, i));
      if constexpr (std::is_floating_point_v<T>) {
        kc::unary(UnaryOp::Exp, dt, out.data(), x.data(), s);
        for (int64_t i = 0; i < n; ++i)
          expect_close(double(out[off(s, 0, i)]), std::exp(double(x[off(s, 1, i)])), 1e-6, 0, fmt("exp flat=%lld i=%lld", flat, i));
      }
      if constexpr (!std::is_same_v<T, bool>) {
        kc::clamp(dt, out.data(), x.data(), std::optional<double>(-1.0), std::nullopt, s);
        for (int64_t i = 0; i < n; ++i)
          expect_close(double(out[off(s, 0, i)]), std::max(double(x[off(s, 1, i)]), -1.0), 0, 0, fmt("clamp i=%lld", i));
      }
      // copy, casting to double.
      Vec<double> cast(n + 1, 1.0);
      kc::copy(DType::Float64, dt, cast.data(), x.data(), s);
      for (int64_t i = 0; i < n; ++i)
        expect(cast[off(s, 0, i)] == double(x[off(s, 1, i)]), fmt("copy flat=%lld i=%lld", flat, i));
      expect(out[n] == T(1) && cast[n] == 1.0, "unary/copy wrote past the end");
      if constexpr (std::is_floating_point_v<T>) {  // Note [Float to integer conversion]
        Vec<T> special(n, T(2.5));
        const T values[] = {T(1e20), -T(1e20), std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                            T(3e9), T(-2.5)};
        for (int64_t i = 0; i < 6; ++i) special[i] = values[i];
        Vec<int32_t> i32(n + 1, 7);
        Vec<int64_t> i64(n + 1, 7);
        kc::copy(DType::Int32, dt, i32.data(), special.data(), s);
        kc::copy(DType::Int64, dt, i64.data(), special.data(), s);
        const int32_t want32[] = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN, -2};
        const int64_t want64[] = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, 3000000000, -2};
        for (int64_t i = 0; i < n; ++i) {
          const int64_t src = off(s, 1, i);  // which of the values element i reads
          const int32_t w32 = src < 6 ? want32[src] : 2;
          const int64_t w64 = src < 6 ? want64[src] : 2;
          expect(i32[off(s, 0, i)] == w32 && i64[off(s, 0, i)] == w64, fmt("float to integer copy i=%lld", i));
        }
      }
    }
    {
      const LoopShape s = make_loop(rows, cols, 4, flat);
      auto c = random_values<bool>(n, 4);
      auto b = random_values<T>(n, 5);
      Vec<T> out(n + 1, T(1));
      kc::where(dt, out.data(), c.data(), x.data(), b.data(), s);
      for (int64_t i = 0; i < n; ++i) {
        const T want = c[off(s, 1, i)] ? x[off(s, 2, i)] : b[off(s, 3, i)];
        expect(out[off(s, 0, i)] == want, fmt("where flat=%lld i=%lld", flat, i));
      }
    }
  }
  for (int64_t n : {1, 255, 256, 257, 1000}) {
    Vec<T> out(n + 1, T(0));
    kc::fill(dt, out.data(), n, 1.0);
    for (int64_t i = 0; i < n; ++i) expect(out[i] == T(1), fmt("fill n=%lld i=%lld", n, i));
    expect(out[n] == T(0), "fill wrote past the end");
  }
}

template <class T>
void check_random_and_activation() {
  const DType dt = ember::dtype_of<T>::value;
  for (int64_t n : {1, 257, 3000}) {
    for (auto spec : {RandomSpec{RandomKind::Uniform, -2.0, 3.0}, RandomSpec{RandomKind::Randint, 0, 0, -5, 11},
                      RandomSpec{RandomKind::Rand}, RandomSpec{RandomKind::Normal, 1.0, 2.0}}) {
      if (std::is_integral_v<T> && (spec.kind == RandomKind::Rand || spec.kind == RandomKind::Normal)) continue;
      Vec<T> g(n + 1, T(7)), c(n + 1, T(7));
      kc::random_fill(dt, g.data(), n, 1234, 99, spec);
      kcpu::random_fill(dt, c.data(), n, 1234, 99, spec);
      for (int64_t i = 0; i <= n; ++i)
        expect_close(double(g[i]), double(c[i]), 0, 0, fmt("random_fill kind=%lld n=%lld i=%lld", int(spec.kind), n, i));
    }
    if constexpr (std::is_floating_point_v<T>) {
      auto x = random_values<T>(n, n, 4.0), gr = random_values<T>(n, n + 1);
      const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
      for (bool tanh_form : {false, true}) {
        Vec<T> g(n + 1, T(7)), c(n + 1, T(7));
        kc::gelu(dt, g.data(), x.data(), n, tanh_form);
        kcpu::gelu(dt, c.data(), x.data(), n, tanh_form);
        for (int64_t i = 0; i <= n; ++i) expect_close(double(g[i]), double(c[i]), tol, tol, fmt("gelu i=%lld", i));
        kc::gelu_backward(dt, g.data(), gr.data(), x.data(), n, tanh_form);
        kcpu::gelu_backward(dt, c.data(), gr.data(), x.data(), n, tanh_form);
        for (int64_t i = 0; i <= n; ++i) expect_close(double(g[i]), double(c[i]), tol, tol, fmt("gelu_backward i=%lld", i));
      }
      Vec<T> g(n + 1, T(7)), c(n + 1, T(7)), gm(n + 1, T(7)), cm(n + 1, T(7));
      kc::leaky_relu(dt, g.data(), x.data(), n, 0.1);
      kcpu::leaky_relu(dt, c.data(), x.data(), n, 0.1);
      for (int64_t i = 0; i <= n; ++i) expect_close(double(g[i]), double(c[i]), 0, 0, fmt("leaky_relu i=%lld", i));
      const T x0 = n > 2 ? x[0] : T(0), x1 = n > 2 ? x[1] : T(0);
      if (n > 2) x[0] = T(0), x[1] = std::numeric_limits<T>::quiet_NaN();  // ReLU'(0) = 0; NaN passes
      kc::relu_backward(dt, g.data(), gr.data(), x.data(), n);
      kcpu::relu_backward(dt, c.data(), gr.data(), x.data(), n);
      for (int64_t i = 0; i <= n; ++i) {
        const double want = i == n ? 7.0 : (x[i] <= T(0) ? 0.0 : double(gr[i]));
        expect(g[i] == c[i] && double(g[i]) == want, fmt("relu_backward i=%lld", i));
      }
      if (n > 2) x[0] = x0, x[1] = x1;
      for (double alpha : {1.0, 0.5}) {  // ELU, and SELU's constants
        const double scale = alpha == 1.0 ? 1.0 : kSeluScale;
        kc::elu(dt, g.data(), x.data(), n, alpha, scale, 1.5);
        kcpu::elu(dt, c.data(), x.data(), n, alpha, scale, 1.5);
        for (int64_t i = 0; i <= n; ++i) expect_close(double(g[i]), double(c[i]), tol, tol, fmt("elu i=%lld", i));
      }
      kc::softplus(dt, g.data(), x.data(), n, 2.0, 3.0);
      kcpu::softplus(dt, c.data(), x.data(), n, 2.0, 3.0);
      for (int64_t i = 0; i <= n; ++i) expect_close(double(g[i]), double(c[i]), tol, tol, fmt("softplus i=%lld", i));
      kc::dropout(dt, g.data(), gm.data(), x.data(), n, 0.3, 77);
      kcpu::dropout(dt, c.data(), cm.data(), x.data(), n, 0.3, 77);
      for (int64_t i = 0; i <= n; ++i)
        expect(g[i] == c[i] && gm[i] == cm[i], fmt("dropout n=%lld i=%lld", n, i));
    }
  }
}

}  // namespace

void test_elementwise() {
  check_unary_table<float>();
  check_unary_table<double>();
  check_unary_table<int64_t>();
  check_unary_table<int32_t>();
  check_unary_table<bool>();
  check_binary_table<float>();
  check_binary_table<double>();
  check_binary_table<int64_t>();
  check_binary_table<int32_t>();
  check_binary_table<bool>();
  check_binary<float>();
  check_binary<double>();
  check_binary<int64_t>();
  check_binary<int32_t>();
  check_binary<bool>();
  check_unary_copy_where<float>();
  check_unary_copy_where<int64_t>();
  check_unary_copy_where<int32_t>();
  check_unary_copy_where<bool>();
  check_random_and_activation<float>();
  check_random_and_activation<double>();
  check_random_and_activation<int64_t>();
  check_random_and_activation<int32_t>();
}
