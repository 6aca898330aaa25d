// CUDA twins of the 2-D pools (kernels/pool.h). Forward kernels: one thread per output element.
// Backward kernels: one thread per input element, summing the outputs whose windows hold it
// (a gather: no atomics, deterministic, the same sums in the same order on every run). Sums are
// accumulated in double, as the CPU twins do.
#include <algorithm>

#include "core/cuda_backend.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/pool.h"
#include "kernels/reduce_functors.h"

namespace ember::kernels::cuda {

namespace {

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)));
}

__device__ __forceinline__ int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

#define EMBER_GRID_STRIDE(e, n)                                                                   \
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x,                   \
               step_ = static_cast<int64_t>(blockDim.x) * gridDim.x;                               \
       e < (n); e += step_)

template <typename T>
__global__ void max_pool2d_kernel(const T* x, T* out, int64_t* indices, const Window2d g, int64_t n) {
  EMBER_GRID_STRIDE(e, n) {
    const int64_t ow = e % g.OW, oh = (e / g.OW) % g.OH, p = e / (g.OH * g.OW);
    const T* plane = x + p * g.H * g.W;
    // The CPU twin's loop (Note [Max pool NaN and ties] in kernels/cpu/pool.cpp).
    int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    const int64_t h1 = min_i64(h0 + (g.kh - 1) * g.dh + 1, g.H), w1 = min_i64(w0 + (g.kw - 1) * g.dw + 1, g.W);
    while (h0 < 0) h0 += g.dh;
    while (w0 < 0) w0 += g.dw;
    int64_t best = h0 * g.W + w0;
    T m = -infinity_of<T>();
    for (int64_t h = h0; h < h1; h += g.dh)
      for (int64_t w = w0; w < w1; w += g.dw) {
        const T v = plane[h * g.W + w];
        if (v > m || v != v) {
          m = v;
          best = h * g.W + w;
        }
      }
    out[e] = m;
    indices[e] = best;
  }
}

template <typename T>
__global__ void avg_pool2d_kernel(const T* x, T* out, const Window2d g, bool include_pad, int64_t divisor_override,
                                  int64_t n) {
  EMBER_GRID_STRIDE(e, n) {
    const int64_t ow = e % g.OW, oh = (e / g.OW) % g.OH, p = e / (g.OH * g.OW);
    const T* plane = x + p * g.H * g.W;
    const AvgWindow a = avg_window(g, oh, ow, include_pad, divisor_override);
    double s = 0;
    for (int64_t h = a.h0; h < a.h1; ++h)
      for (int64_t w = a.w0; w < a.w1; ++w) s += static_cast<double>(plane[h * g.W + w]);
    out[e] = static_cast<T>(s / static_cast<double>(a.divisor));
  }
}

// Input row h lies in the windows of outputs oh with oh * sh - ph <= h < oh * sh - ph + kh.
template <typename T>
__global__ void avg_pool2d_backward_kernel(const T* gout, T* gx, const Window2d g, bool include_pad,
                                           int64_t divisor_override, int64_t n) {
  EMBER_GRID_STRIDE(e, n) {
    const int64_t w = e % g.W, h = (e / g.W) % g.H, p = e / (g.H * g.W);
    const T* go = gout + p * g.OH * g.OW;
    const int64_t oh0 = h + g.ph - g.kh + 1 > 0 ? (h + g.ph - g.kh + 1 + g.sh - 1) / g.sh : 0;
    const int64_t ow0 = w + g.pw - g.kw + 1 > 0 ? (w + g.pw - g.kw + 1 + g.sw - 1) / g.sw : 0;
    const int64_t oh1 = min_i64((h + g.ph) / g.sh + 1, g.OH), ow1 = min_i64((w + g.pw) / g.sw + 1, g.OW);
    T s = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const AvgWindow a = avg_window(g, oh, ow, include_pad, divisor_override);
        if (h >= a.h0 && h < a.h1 && w >= a.w0 && w < a.w1) s += go[oh * g.OW + ow] / static_cast<T>(a.divisor);
      }
    gx[e] = s;
  }
}

template <typename T>
__global__ void adaptive_avg_pool2d_kernel(const T* x, T* out, const Window2d g, int64_t n) {
  EMBER_GRID_STRIDE(e, n) {
    const int64_t ow = e % g.OW, oh = (e / g.OW) % g.OH, p = e / (g.OH * g.OW);
    const T* plane = x + p * g.H * g.W;
    const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
    const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
    double s = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) s += static_cast<double>(plane[h * g.W + w]);
    out[e] = static_cast<T>(s / static_cast<double>((h1 - h0) * (w1 - w0)));
  }
}

// The outputs whose adaptive windows hold input h are [floor(h * OH / H), ceil((h + 1) * OH / H)):
// the same start/end formulas with the roles of the lengths swapped.
template <typename T>
__global__ void adaptive_avg_pool2d_backward_kernel(const T* gout, T* gx, const Window2d g, int64_t n) {
  EMBER_GRID_STRIDE(e, n) {
    const int64_t w = e % g.W, h = (e / g.W) % g.H, p = e / (g.H * g.W);
    const T* go = gout + p * g.OH * g.OW;
    T s = T(0);
    for (int64_t oh = adaptive_start(h, g.H, g.OH); oh < adaptive_end(h, g.H, g.OH); ++oh) {
      const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
      for (int64_t ow = adaptive_start(w, g.W, g.OW); ow < adaptive_end(w, g.W, g.OW); ++ow) {
        const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
        s += go[oh * g.OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
    gx[e] = s;
  }
}

#undef EMBER_GRID_STRIDE

}  // namespace

void max_pool2d(DType dtype, const void* x, void* out, int64_t* indices, const Window2d& g) {
  const int64_t n = g.planes * g.OH * g.OW;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "max_pool2d", [&] {
    max_pool2d_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), indices, g, n);
    EMBER_CUDA_CHECK_LAUNCH("max_pool2d");
  });
}

void avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g, bool count_include_pad,
                int64_t divisor_override) {
  const int64_t n = g.planes * g.OH * g.OW;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "avg_pool2d", [&] {
    avg_pool2d_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), g, count_include_pad, divisor_override, n);
    EMBER_CUDA_CHECK_LAUNCH("avg_pool2d");
  });
}

void avg_pool2d_backward(DType dtype, const void* gout, void* gx, const Window2d& g, bool count_include_pad,
                         int64_t divisor_override) {
  const int64_t n = g.planes * g.H * g.W;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "avg_pool2d_backward", [&] {
    avg_pool2d_backward_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(gout), static_cast<scalar_t*>(gx), g, count_include_pad, divisor_override, n);
    EMBER_CUDA_CHECK_LAUNCH("avg_pool2d_backward");
  });
}

void adaptive_avg_pool2d(DType dtype, const void* x, void* out, const Window2d& g) {
  const int64_t n = g.planes * g.OH * g.OW;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "adaptive_avg_pool2d", [&] {
    adaptive_avg_pool2d_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), g, n);
    EMBER_CUDA_CHECK_LAUNCH("adaptive_avg_pool2d");
  });
}

void adaptive_avg_pool2d_backward(DType dtype, const void* gout, void* gx, const Window2d& g) {
  const int64_t n = g.planes * g.H * g.W;
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "adaptive_avg_pool2d_backward", [&] {
    adaptive_avg_pool2d_backward_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<const scalar_t*>(gout), static_cast<scalar_t*>(gx), g, n);
    EMBER_CUDA_CHECK_LAUNCH("adaptive_avg_pool2d_backward");
  });
}

}  // namespace ember::kernels::cuda
