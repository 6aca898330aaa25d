// Which vector instruction set the CPU kernels use, chosen at run time.
// Note [Runtime ISA dispatch]: the default build targets baseline x86-64 so one binary runs on
// any CPU; the hot kernels also exist in translation units compiled with -mavx2 -mfma or
// -mavx512f (gemm_avx2.cpp, gemm_avx512.cpp, simd_math_*.cpp), and callers pick one through
// cpu_isa(), which is the best set the CPU supports (__builtin_cpu_supports) unless a test
// forced a lower one with set_cpu_isa. Non-x86 builds only ever have Portable.
#pragma once

namespace ember::kernels::cpu {

enum class CpuIsa { Portable = 0, Avx2 = 1, Avx512 = 2 };

// The best ISA this CPU (and this build) supports.
CpuIsa detected_cpu_isa();
// The ISA the kernels use now: detected_cpu_isa() unless lowered by set_cpu_isa.
CpuIsa cpu_isa();
// Forces the kernels onto `isa` (for tests and benchmarks); returns false, changing nothing,
// when the CPU lacks it.
bool set_cpu_isa(CpuIsa isa);
const char* cpu_isa_name(CpuIsa isa);

}  // namespace ember::kernels::cpu
