// simd_math.h kernels compiled with -mavx512f (Note [Runtime ISA dispatch]).
#include "kernels/cpu/simd_math.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_VEC_BYTES 64
#include "kernels/cpu/simd_math_body.h"

namespace ember::kernels::cpu::detail {
SimdMathTable simd_math_avx512() { return EMBER_SIMD_MATH_TABLE(); }
}  // namespace ember::kernels::cpu::detail
#endif
