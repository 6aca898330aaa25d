// CUDA twins of kernels::cpu::copy (cast + strided copy), where and fill.
#include "kernels/copy.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/functors.h"

namespace ember::kernels::cuda {

namespace {

struct SelectF {
  template <class T> EMBER_HD T operator()(bool c, T a, T b) const { return c ? a : b; }
};

template <typename T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) out[i] = value;
}

unsigned blocks_for(int64_t n) { return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)); }

}  // namespace

void copy(DType dst, DType src, void* out, const void* x, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(dst, "copy", [&] {
    using dst_t = scalar_t;
    EMBER_DISPATCH_ALL(src, "copy", [&] {
      launch_elementwise("copy", loop, ConvertF<dst_t>{}, static_cast<dst_t*>(out), static_cast<const scalar_t*>(x));
    });
  });
}

void where(DType dtype, void* out, const void* cond, const void* a, const void* b, const LoopShape& loop) {
  EMBER_DISPATCH_ALL(dtype, "where", [&] {
    launch_elementwise("where", loop, SelectF{}, static_cast<scalar_t*>(out), static_cast<const bool*>(cond),
                       static_cast<const scalar_t*>(a), static_cast<const scalar_t*>(b));
  });
}

void fill(DType dtype, void* out, int64_t n, double value) {
  if (n == 0) return;
  EMBER_DISPATCH_ALL(dtype, "fill", [&] {
    fill_kernel<<<blocks_for(n), kThreads, 0, ember::cuda::current_stream()>>>(static_cast<scalar_t*>(out), n,
                                                                              fill_value<scalar_t>(value));
    EMBER_CUDA_CHECK_LAUNCH("fill");
  });
}

}  // namespace ember::kernels::cuda
