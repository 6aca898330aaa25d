// CUDA twins of clip_grad_norm_'s kernels (kernels/cpu/grad_norm.cpp): per-chunk partials of
// every gradient in multi-tensor launches, one single-block pass that combines them in a fixed
// order and takes the root, and a multi-tensor in-place scale by a factor that stays on the
// device (Note [Gradient norm in partial sums]). Nothing here reads device memory from the host.
#include "kernels/grad_norm.h"

#include "kernels/cuda/multi_tensor.cuh"

namespace ember::kernels::cuda {

namespace {

// Accumulate float32 gradients in float within a block (as torch's norm kernels do); the
// partials themselves are doubles.
template <typename T>
using NormAcc = T;

template <typename A>
__device__ A block_combine(A v, const GradNorm& norm) {
  __shared__ A shared[kMultiTensorThreads];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int half = kMultiTensorThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] = norm.combine(shared[threadIdx.x], shared[threadIdx.x + half]);
    __syncthreads();
  }
  return shared[0];
}

template <typename T>
__global__ void norm_partials_kernel(const TensorChunks<1> m, GradNorm norm, double* partials) {
  using A = NormAcc<T>;
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  const T* x = static_cast<const T*>(m.ptr[0][t]);
  A acc = A(0);
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) acc = norm.combine(acc, norm.term(A(x[i])));
  A total = block_combine(acc, norm);
  if (threadIdx.x == 0) partials[m.first_chunk[t] + chunk] = static_cast<double>(total);
}

template <typename T>
__global__ void norm_finish_kernel(const double* partials, int64_t count, GradNorm norm, T* out) {
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) acc = norm.combine(acc, partials[i]);
  double total = block_combine(acc, norm);
  if (threadIdx.x == 0) *out = static_cast<T>(norm.finish(total));
}

template <typename T>
__global__ void scale_kernel(const TensorChunks<1> m, const T* scale) {
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  T* x = static_cast<T*>(m.ptr[0][t]);
  const T c = *scale;
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) x[i] = x[i] * c;
}

template <typename Set>
void for_each_grad_launch(const std::vector<GradSlot>& slots, Set launch) {
  for_each_launch<1>(slots.size(), [&](TensorChunks<1>& m, int k, size_t i) {
    m.ptr[0][k] = slots[i].data;
    return slots[i].n;
  }, launch);
}

}  // namespace

void grad_norm_partials(DType dtype, const std::vector<GradSlot>& slots, const GradNorm& norm, double* partials) {
  EMBER_DISPATCH_FLOATING(dtype, "clip_grad_norm_", [&] {
    for_each_grad_launch(slots, [&](const TensorChunks<1>& m, int64_t blocks) {
      norm_partials_kernel<scalar_t><<<static_cast<unsigned>(blocks), kMultiTensorThreads, 0,
                                       ember::cuda::current_stream()>>>(m, norm, partials);
      EMBER_CUDA_CHECK_LAUNCH("clip_grad_norm_ partials");
    });
  });
}

void grad_norm_finish(DType out_dtype, const double* partials, int64_t count, const GradNorm& norm, void* out) {
  EMBER_DISPATCH_FLOATING(out_dtype, "clip_grad_norm_", [&] {
    norm_finish_kernel<scalar_t><<<1, kMultiTensorThreads, 0, ember::cuda::current_stream()>>>(
        partials, count, norm, static_cast<scalar_t*>(out));
    EMBER_CUDA_CHECK_LAUNCH("clip_grad_norm_ total");
  });
}

void scale_group(DType dtype, const std::vector<GradSlot>& slots, const void* scale) {
  EMBER_DISPATCH_FLOATING(dtype, "clip_grad_norm_", [&] {
    auto* c = static_cast<const scalar_t*>(scale);
    for_each_grad_launch(slots, [&](const TensorChunks<1>& m, int64_t blocks) {
      scale_kernel<scalar_t><<<static_cast<unsigned>(blocks), kMultiTensorThreads, 0, ember::cuda::current_stream()>>>(
          m, c);
      EMBER_CUDA_CHECK_LAUNCH("clip_grad_norm_ scale");
    });
  });
}

}  // namespace ember::kernels::cuda
