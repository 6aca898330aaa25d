// CUDA twins of the activation kernels: one thread per element, grid-stride, with the functors
// the CPU loops use. CUDA's erf/tanh/exp are within a few ulp of the host's, so GELU agrees with
// the CPU to rounding; dropout's mask is integer arithmetic and agrees exactly.
#include <algorithm>

#include "kernels/activation_functors.h"
#include "kernels/activation.h"
#include "kernels/cuda/launch.cuh"

namespace ember::kernels::cuda {

namespace {

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
}

// out[i] = f(x[i])
template <typename T, typename F>
__global__ void map_kernel(T* out, const T* x, int64_t n, const F f) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) out[i] = f(x[i]);
}

// out[i] = g[i] * f(x[i])
template <typename T, typename F>
__global__ void scaled_map_kernel(T* out, const T* g, const T* x, int64_t n, const F f) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = g[i] * f(x[i]);
}

// out[i] = f(a[i], b[i])
template <typename T, typename F>
__global__ void zip_kernel(T* out, const T* a, const T* b, int64_t n, const F f) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = f(a[i], b[i]);
}

template <typename T>
__global__ void dropout_kernel(T* out, T* mask, const T* x, int64_t n, double p, T scale, uint64_t seed) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const T m = dropout_keeps(seed, i, p) ? scale : T(0);
    mask[i] = m;
    out[i] = x[i] * m;
  }
}

}  // namespace

void gelu(DType dtype, void* out, const void* x, int64_t n, bool tanh_form) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "gelu", [&] {
    map_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x), n, GeluF{tanh_form});
    EMBER_CUDA_CHECK_LAUNCH("gelu");
  });
}

void gelu_backward(DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "gelu_backward", [&] {
    scaled_map_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(g), static_cast<const scalar_t*>(x), n,
        GeluGradF{tanh_form});
    EMBER_CUDA_CHECK_LAUNCH("gelu_backward");
  });
}

void relu_backward(DType dtype, void* out, const void* g, const void* y, int64_t n) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "relu_backward", [&] {
    zip_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(g), static_cast<const scalar_t*>(y), n, ReluGradF{});
    EMBER_CUDA_CHECK_LAUNCH("relu_backward");
  });
}

void leaky_relu(DType dtype, void* out, const void* x, int64_t n, double slope) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "leaky_relu", [&] {
    map_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x), n,
        LeakyReluF<scalar_t>{static_cast<scalar_t>(slope)});
    EMBER_CUDA_CHECK_LAUNCH("leaky_relu");
  });
}

void elu(DType dtype, void* out, const void* x, int64_t n, double alpha, double scale, double input_scale) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "elu", [&] {
    EluF<scalar_t> f{static_cast<scalar_t>(alpha * scale), static_cast<scalar_t>(scale),
                     static_cast<scalar_t>(input_scale)};
    map_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x), n, f);
    EMBER_CUDA_CHECK_LAUNCH("elu");
  });
}

void softplus(DType dtype, void* out, const void* x, int64_t n, double beta, double threshold) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "softplus", [&] {
    SoftplusF<scalar_t> f{static_cast<scalar_t>(beta), static_cast<scalar_t>(threshold)};
    map_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<const scalar_t*>(x), n, f);
    EMBER_CUDA_CHECK_LAUNCH("softplus");
  });
}

void dropout(DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed) {
  if (n == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "dropout", [&] {
    const scalar_t scale = p < 1.0 ? static_cast<scalar_t>(1.0 / (1.0 - p)) : scalar_t(0);  // as the CPU kernel
    dropout_kernel<<<grid_for(n), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(out), static_cast<scalar_t*>(mask), static_cast<const scalar_t*>(x), n, p, scale, seed);
    EMBER_CUDA_CHECK_LAUNCH("dropout");
  });
}

}  // namespace ember::kernels::cuda
