#include "kernels/cpu/cpu_features.h"

#include <atomic>

namespace ember::kernels::cpu {

namespace {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_X86_SIMD 1
#endif

CpuIsa detect() {
#ifdef EMBER_X86_SIMD
  __builtin_cpu_init();
  // The AVX-512 kernels use F (and VL/BW-free code); FMA is part of AVX-512F.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw"))
    return CpuIsa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::Avx2;
#endif
  return CpuIsa::Portable;
}

std::atomic<int>& active() {
  static std::atomic<int> isa{static_cast<int>(detected_cpu_isa())};
  return isa;
}

}  // namespace

CpuIsa detected_cpu_isa() {
  static const CpuIsa isa = detect();
  return isa;
}

CpuIsa cpu_isa() { return static_cast<CpuIsa>(active().load(std::memory_order_relaxed)); }

bool set_cpu_isa(CpuIsa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detected_cpu_isa())) return false;
  active().store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::Avx512: return "avx512";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Portable: break;
  }
  return "portable";
}

}  // namespace ember::kernels::cpu
