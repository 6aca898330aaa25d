// Note [One dispatch point per kernel family]
// Ops call these, never kernels::cpu or kernels::cuda directly: each picks the CPU kernel or its
// CUDA twin (same signature) from the device of the op's output. The CPU test comes first and is
// one compare, so the CPU hot path costs what a direct call did. A build without CUDA has no
// CUDA tensors (allocation refuses them), so there the CUDA branch is unreachable.
#pragma once
#include "core/cuda_backend.h"
#include "core/device.h"
#include "core/tensor.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/random_fill.h"
#ifdef EMBER_WITH_CUDA
#include "kernels/cuda/elementwise.h"
#define EMBER_CUDA_TWIN(device, name, ...)          \
  do {                                              \
    ::ember::cuda::use_device((device).index);      \
    ::ember::kernels::cuda::name(__VA_ARGS__);      \
  } while (0)
#else
#define EMBER_CUDA_TWIN(device, name, ...) ::ember::cuda::check_device(#name, device)
#endif

namespace ember {

namespace dispatch {

using kernels::LoopShape;

inline void binary(Device d, BinaryOp op, DType compute, void* out, const void* a, const void* b, const LoopShape& l) {
  if (d.is_cpu()) return kernels::cpu::binary(op, compute, out, a, b, l);
  EMBER_CUDA_TWIN(d, binary, op, compute, out, a, b, l);
}

inline void unary(Device d, UnaryOp op, DType dtype, void* out, const void* x, const LoopShape& l) {
  if (d.is_cpu()) return kernels::cpu::unary(op, dtype, out, x, l);
  EMBER_CUDA_TWIN(d, unary, op, dtype, out, x, l);
}

inline void clamp(Device d, DType dtype, void* out, const void* x, std::optional<double> lo, std::optional<double> hi,
                  const LoopShape& l) {
  if (d.is_cpu()) return kernels::cpu::clamp(dtype, out, x, lo, hi, l);
  EMBER_CUDA_TWIN(d, clamp, dtype, out, x, lo, hi, l);
}

inline void where(Device d, DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& l) {
  if (d.is_cpu()) return kernels::cpu::where(dtype, out, cond, a, b, l);
  EMBER_CUDA_TWIN(d, where, dtype, out, cond, a, b, l);
}

inline void copy(Device d, DType dst, DType src, void* out, const void* x, const LoopShape& l) {
  if (d.is_cpu()) return kernels::cpu::copy(dst, src, out, x, l);
  EMBER_CUDA_TWIN(d, copy, dst, src, out, x, l);
}

inline void fill(Device d, DType dtype, void* out, int64_t n, double value) {
  if (d.is_cpu()) return kernels::cpu::fill(dtype, out, n, value);
  EMBER_CUDA_TWIN(d, fill, dtype, out, n, value);
}

inline void random_fill(Device d, DType dtype, void* out, int64_t n, uint64_t seed, uint64_t first,
                        const kernels::RandomSpec& spec) {
  if (d.is_cpu()) return kernels::cpu::random_fill(dtype, out, n, seed, first, spec);
  EMBER_CUDA_TWIN(d, random_fill, dtype, out, n, seed, first, spec);
}

}  // namespace dispatch
}  // namespace ember
