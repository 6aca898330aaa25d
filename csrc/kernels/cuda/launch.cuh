// The one elementwise kernel every CUDA twin instantiates: a grid-stride loop over the elements,
// out[i] = f(in_1[i], ..., in_k[i]) with each operand's offset from its LoopShape strides
// (kernels/strided_index.h), or the element index itself when every operand is flat.
#pragma once
#include <cuda_runtime.h>

#include <cstring>
#include <utility>

#include "core/cuda/cuda_check.h"
#include "kernels/strided_index.h"

namespace ember::kernels::cuda {

constexpr int kThreads = 256;
// The grid-stride loops cover larger tensors. The CPU emulator of the kernels (tools/cuda_emu)
// builds with a tiny cap, so its small test shapes walk those loops more than once.
#ifdef EMBER_CUDA_EMU_MAX_BLOCKS
constexpr int64_t kMaxBlocks = EMBER_CUDA_EMU_MAX_BLOCKS;
#else
constexpr int64_t kMaxBlocks = 65535;
#endif

// Input k's element at `off`, or its value when it is a scalar passed by value (Note [Scalars by value]).
template <typename T>
__device__ __forceinline__ T operand_at(const T* p, int64_t off, const LoopShape& s, int k) {
  if (p) return p[off];
  T v;
  memcpy(&v, &s.scalar_bits[k], sizeof(T));
  return v;
}

template <typename Out, typename F, size_t... K, typename... In>
__device__ __forceinline__ void apply_at(Out* out, const int64_t* off, const LoopShape& s, const F& f,
                                         std::index_sequence<K...>, const In*... in) {
  out[off[0]] = static_cast<Out>(f(operand_at(in, off[K + 1], s, int(K) + 1)...));
}

template <typename Out, typename F, typename... In>
__global__ void elementwise_kernel(const LoopShape s, const int64_t n, const bool flat, const bool narrow, const F f,
                                   Out* out, const In*... in) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    if (flat) {
      out[i] = static_cast<Out>(f(in[i]...));
    } else {
      int64_t off[kMaxOperands];
      if (narrow) element_offsets_as<uint32_t>(s, static_cast<uint32_t>(i), off);  // Note [32-bit index math]
      else element_offsets(s, i, off);
      apply_at(out, off, s, f, std::index_sequence_for<In...>{}, in...);
    }
  }
}

// Queues the kernel on the current stream; `name` is what an error names.
template <typename Out, typename F, typename... In>
void launch_elementwise(const char* name, const LoopShape& s, F f, Out* out, const In*... in) {
  const int64_t n = s.numel();
  if (n == 0) return;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks);
  elementwise_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, ember::cuda::current_stream()>>>(
      s, n, is_flat(s) && ((in != nullptr) && ...), fits_32bit_index(s), f, out, in...);
  EMBER_CUDA_CHECK_LAUNCH(name);
}

}  // namespace ember::kernels::cuda
