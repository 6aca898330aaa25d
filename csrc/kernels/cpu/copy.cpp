// The CPU copy (cast + strided copy), where and fill (kernels/copy.h); their CUDA twins are in
// kernels/cuda/copy.cu.
#include "kernels/copy.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/loops.h"
#include "kernels/functors.h"

namespace ember::kernels::cpu {

// where(cond, a, b): contiguous rows with a and b each either contiguous or one broadcast value
// (ReLU's backward is where(y > 0, g, 0)) load both sides unconditionally and select with a bit
// mask, so the loop vectorises; a flat contiguous loop also runs in parallel chunks. Anything
// else is strided. Note [Branch-free select]: written as `c ? x : y`, GCC 12 emitted a branch per
// element, and a ReLU mask is a coin flip: perf showed where() at 8% of an MLP step (~4 ns per
// element, nearly all mispredictions). The bit select is exact for every value (NaN, inf, -0).
namespace {
template <typename T>
inline T select_bits(bool c, T x, T y) {
  using U = std::conditional_t<sizeof(T) == 8, uint64_t,
            std::conditional_t<sizeof(T) == 4, uint32_t, std::conditional_t<sizeof(T) == 2, uint16_t, uint8_t>>>;
  static_assert(sizeof(U) == sizeof(T), "a bit pattern type of the same size");
  U xb, yb;
  std::memcpy(&xb, &x, sizeof(T));
  std::memcpy(&yb, &y, sizeof(T));
  const U m = U(0) - static_cast<U>(c);
  const U r = (xb & m) | (yb & ~m);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

template <typename T>
void where_row(T* o, const bool* c, const T* a, const T* b, int64_t n, int64_t sa, int64_t sb) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = select_bits(c[i], a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T y = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = select_bits(c[i], a[i], y);
  } else if (sa == 0 && sb == 1) {
    const T x = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = select_bits(c[i], x, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? a[i * sa] : b[i * sb];
  }
}
}  // namespace

void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& s) {
  EMBER_DISPATCH_ALL(dtype, "where", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* c = static_cast<const bool*>(cond);
    auto* pa = static_cast<const scalar_t*>(a);
    auto* pb = static_cast<const scalar_t*>(b);
    if (s.ndim == 1 && s.strides[0][0] == 1 && s.strides[1][0] == 1 && s.strides[2][0] <= 1 &&
        s.strides[2][0] >= 0 && s.strides[3][0] <= 1 && s.strides[3][0] >= 0) {
      const int64_t sa = s.strides[2][0], sb = s.strides[3][0];
      parallel_for(s.sizes[0], kParallelGrain, [&](int64_t lo, int64_t hi) {
        where_row(o + lo, c + lo, pa + lo * sa, pb + lo * sb, hi - lo, sa, sb);
      });
      return;
    }
    for_each_row(s, [&](const int64_t* off, int64_t n, const int64_t* st) {
      if (st[0] == 1 && st[1] == 1 && st[2] >= 0 && st[2] <= 1 && st[3] >= 0 && st[3] <= 1) {
        where_row(o + off[0], c + off[1], pa + off[2], pb + off[3], n, st[2], st[3]);
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        o[off[0] + i * st[0]] = c[off[1] + i * st[1]] ? pa[off[2] + i * st[2]] : pb[off[3] + i * st[3]];
    });
  });
}

void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(dst, "copy", [&] {
    using dst_t = scalar_t;
    EMBER_DISPATCH_ALL(src, "copy", [&] {
      unary_loop(static_cast<dst_t*>(out), static_cast<const scalar_t*>(x), loop, ConvertF<dst_t>{});
    });
  });
}

void fill(DType dtype, void* out, int64_t n, double value) {
  EMBER_DISPATCH_ALL(dtype, "fill", [&] {
    auto* o = static_cast<scalar_t*>(out);
    const scalar_t v = fill_value<scalar_t>(value);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  });
}

}  // namespace ember::kernels::cpu
