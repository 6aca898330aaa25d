// CUDA twins of im2col / col2im (kernels/conv.h). One thread per element, grid-stride loops.
// col2im gathers instead of scattering: each input element's thread sums the columns that read
// it (at most kh * kw of them), so there are no atomics and the sums are deterministic.
#include <algorithm>

#include "core/cuda_backend.h"
#include "kernels/conv.h"
#include "kernels/cuda/launch.cuh"

namespace ember::kernels::cuda {

namespace {

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)));
}

// e indexes cols (planes, kh * kw, OH * OW).
template <typename T>
__global__ void im2col_kernel(const T* x, T* cols, const Window2d g, int64_t n) {
  const int64_t L = g.OH * g.OW, kk = g.kh * g.kw;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t l = e % L, r = e / L, k = r % kk, p = r / kk;
    const int64_t ih = (l / g.OW) * g.sh - g.ph + (k / g.kw) * g.dh;
    const int64_t iw = (l % g.OW) * g.sw - g.pw + (k % g.kw) * g.dw;
    cols[e] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[(p * g.H + ih) * g.W + iw] : T(0);
  }
}

// e indexes x (planes, H, W). Kernel row i reads input row h from output row oh when
// oh * sh - ph + i * dh == h.
template <typename T>
__global__ void col2im_kernel(const T* cols, T* x, const Window2d g, int64_t n) {
  const int64_t L = g.OH * g.OW, kk = g.kh * g.kw;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += step) {
    const int64_t w = e % g.W, h = (e / g.W) % g.H, p = e / (g.H * g.W);
    T s = T(0);
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t th = h + g.ph - i * g.dh;
      if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
      const int64_t oh = th / g.sh;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tw = w + g.pw - j * g.dw;
        if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.OW) continue;
        s += cols[(p * kk + i * g.kw + j) * L + oh * g.OW + tw / g.sw];
      }
    }
    x[e] = s;
  }
}

}  // namespace

void im2col(DType dtype, const void* x, void* cols, const Window2d& g) {
  const int64_t n = g.planes * g.kh * g.kw * g.OH * g.OW;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "im2col", [&] {
    im2col_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(cols), g, n);
    EMBER_CUDA_CHECK_LAUNCH("im2col");
  });
}

void col2im(DType dtype, const void* cols, void* x, const Window2d& g) {
  const int64_t n = g.planes * g.H * g.W;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "col2im", [&] {
    col2im_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(cols), static_cast<scalar_t*>(x), g, n);
    EMBER_CUDA_CHECK_LAUNCH("col2im");
  });
}

}  // namespace ember::kernels::cuda
