// CUDA twins of the loss kernels (kernels/loss.h): cross_entropy_forward / cross_entropy_backward
// (Note [Fused cross entropy] in ops/loss.cpp), find_bad_target and pointwise_loss.
// Forward: a warp per row (a block per row of at least kBlockRowMin classes) folds the row into
// an online logsumexp (Note [Online logsumexp]) and, with label smoothing, the sum of its logits;
// lane 0 writes the row's loss and lse. Backward: a grid-stride loop over the logits, each element
// its own softmax-minus-one-hot. Targets are checked here, on the device (Note [Errors found by
// kernels]): the host never reads them.
#include "kernels/cuda/kernel_error.cuh"
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/loss.h"
#include "kernels/loss_functors.h"

namespace ember::kernels::cuda {

namespace {

// The row's online logsumexp state in the element type (float exp for float32, as the CPU's
// fast path) and the sum of its logits in double, as the CPU twin keeps it.
template <typename A>
struct RowState {
  A m, s;
  double sum_x;
};

template <typename A>
__device__ __forceinline__ RowState<A> shfl_xor(RowState<A> v, int lane_mask) {
  // Qualified: this overload hides the scalar ones from unqualified lookup here.
  return {cuda::shfl_xor(v.m, lane_mask), cuda::shfl_xor(v.s, lane_mask), cuda::shfl_xor(v.sum_x, lane_mask)};
}

template <typename A>
struct RowMerge {
  __device__ RowState<A> operator()(RowState<A> a, RowState<A> b) const {
    online_lse_merge(a.m, a.s, b.m, b.s);
    a.sum_x += b.sum_x;
    return a;
  }
};

template <typename T>
__device__ __forceinline__ RowState<T> fold_row(const T* x, int64_t lo, int64_t n, int64_t step, bool need_sum) {
  RowState<T> st{-infinity_of<T>(), T(0), 0.0};
  for (int64_t c = lo; c < n; c += step) {
    const T v = x[c];
    online_lse_add(st.m, st.s, v);
    if (need_sum) st.sum_x += static_cast<double>(v);
  }
  return st;
}

struct ForwardArgs {
  int64_t n, classes, ignore_index;
  double label_smoothing;
  ember::cuda::KernelErrorReport* report;
  // The op's name for the report: a host string literal passed in as an argument, because the
  // host reads the name back, and a literal written in device code has a device address.
  const char* op;
};

// Written by the one thread that holds the row's state.
template <typename T>
__device__ __forceinline__ void finish_row(const ForwardArgs& a, int64_t r, const T* row, const int64_t* target,
                                           const RowState<T>& st, T* loss, double* lse) {
  const double l = static_cast<double>(st.m) + std::log(static_cast<double>(st.s));
  lse[r] = l;
  const int64_t t = target[r];
  if (t == a.ignore_index) {
    loss[r] = T(0);
  } else if (check_index(a.report, a.op, t, a.classes)) {
    loss[r] = static_cast<T>(
        cross_entropy_row_loss(l, static_cast<double>(row[t]), st.sum_x, a.classes, a.label_smoothing));
  }
}

template <typename T>
__global__ void cross_entropy_forward_warp(const ForwardArgs a, T* loss, double* lse, const T* x,
                                           const int64_t* target) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps_per_block = blockDim.x / kWarp;
  const int64_t step = warps_per_block * gridDim.x;
  const bool need_sum = a.label_smoothing != 0.0;
  for (int64_t r = blockIdx.x * warps_per_block + threadIdx.x / kWarp; r < a.n; r += step) {
    const T* row = x + r * a.classes;
    RowState<T> st = warp_allreduce(fold_row(row, lane, a.classes, kWarp, need_sum), RowMerge<T>{});
    if (lane == 0) finish_row(a, r, row, target, st, loss, lse);
  }
}

template <typename T>
__global__ void cross_entropy_forward_block(const ForwardArgs a, T* loss, double* lse, const T* x,
                                            const int64_t* target) {
  const bool need_sum = a.label_smoothing != 0.0;
  for (int64_t r = blockIdx.x; r < a.n; r += gridDim.x) {
    const T* row = x + r * a.classes;
    RowState<T> st = block_allreduce(fold_row(row, threadIdx.x, a.classes, blockDim.x, need_sum), RowMerge<T>{});
    if (threadIdx.x == 0) finish_row(a, r, row, target, st, loss, lse);
  }
}

template <typename T>
__global__ void cross_entropy_backward_kernel(const ForwardArgs a, T* d, const T* x, const double* lse,
                                              const int64_t* target, const T* g, int64_t grad_stride,
                                              const T* divisor) {
  const int64_t total = a.n * a.classes;
  const double off = a.label_smoothing / static_cast<double>(a.classes);
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t r = i / a.classes, c = i - r * a.classes;
    const int64_t t = target[r];
    if (t == a.ignore_index) {
      d[i] = T(0);
      continue;
    }
    // The forward has reported a bad target already unless its report was raised since; the
    // row's first element reports it again, and the row is not written.
    if (t < 0 || t >= a.classes) {
      if (c == 0) report_bad_index(a.report, a.op, t, a.classes);
      continue;
    }
    const T up = divisor ? T(g[r * grad_stride] / divisor[0]) : g[r * grad_stride];
    const double k = static_cast<double>(up);
    // exp in the element type: for float32 what the CPU's fast path computes.
    const double p = static_cast<double>(std::exp(x[i] - static_cast<T>(lse[r])));
    d[i] = static_cast<T>(cross_entropy_grad(p, c == t, a.label_smoothing, off, k));
  }
}

// One block counts the rows not ignored (a batch's targets: a few thousand at most, so one block
// of kThreads threads is enough), then thread 0 divides the summed loss by the count.
template <typename T>
__global__ void cross_entropy_mean_kernel(T* loss, T* divisor, const int64_t* target, int64_t n, int64_t ignore_index) {
  __shared__ int64_t partial[kThreads];
  int64_t kept = 0;
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) kept += target[r] != ignore_index;
  partial[threadIdx.x] = kept;
  __syncthreads();
  for (int width = blockDim.x / 2; width > 0; width /= 2) {
    if (static_cast<int>(threadIdx.x) < width) partial[threadIdx.x] += partial[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    const T count = static_cast<T>(partial[0]);
    loss[0] = loss[0] / count;
    divisor[0] = count > T(1) ? count : T(1);
  }
}

}  // namespace

// Nothing to find on the host: the kernels below check every target (see kernels/loss.h).
int64_t find_bad_target(const int64_t* target, int64_t n, int64_t classes, int64_t ignore_index) { return -1; }

void cross_entropy_forward(DType dtype, void* loss, double* lse, const void* logits, const int64_t* target,
                           int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing) {
  if (n == 0) return;
  ForwardArgs a{n, classes, ignore_index, label_smoothing,
                ember::cuda::kernel_error_report(ember::cuda::current_device()), "cross_entropy"};
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy", [&] {
    auto* out = static_cast<scalar_t*>(loss);
    auto* x = static_cast<const scalar_t*>(logits);
    cudaStream_t stream = ember::cuda::current_stream();
    if (classes < kBlockRowMin)
      cross_entropy_forward_warp<<<grid_for(n, kThreads / kWarp), kThreads, 0, stream>>>(a, out, lse, x, target);
    else
      cross_entropy_forward_block<<<grid_for(n, 1), kThreads, 0, stream>>>(a, out, lse, x, target);
    EMBER_CUDA_CHECK_LAUNCH("cross_entropy_forward");
  });
}

void cross_entropy_backward(DType dtype, void* dlogits, const void* logits, const double* lse,
                            const int64_t* target, const void* grad, int64_t grad_stride, const void* divisor,
                            int64_t n, int64_t classes, int64_t ignore_index, double label_smoothing) {
  if (n == 0 || classes == 0) return;
  ForwardArgs a{n, classes, ignore_index, label_smoothing,
                ember::cuda::kernel_error_report(ember::cuda::current_device()), "cross_entropy"};
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy_backward", [&] {
    cross_entropy_backward_kernel<<<grid_for(n * classes, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        a, static_cast<scalar_t*>(dlogits), static_cast<const scalar_t*>(logits), lse, target,
        static_cast<const scalar_t*>(grad), grad_stride, static_cast<const scalar_t*>(divisor));
    EMBER_CUDA_CHECK_LAUNCH("cross_entropy_backward");
  });
}

void cross_entropy_mean(DType dtype, void* loss, void* divisor, const int64_t* target, int64_t n,
                        int64_t ignore_index) {
  EMBER_DISPATCH_FLOATING(dtype, "cross_entropy_mean", [&] {
    cross_entropy_mean_kernel<<<1, kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(loss), static_cast<scalar_t*>(divisor), target, n, ignore_index);
    EMBER_CUDA_CHECK_LAUNCH("cross_entropy_mean");
  });
}

void pointwise_loss(PointwiseLoss kind, double param, DType dtype, void* out, const void* x, const void* t,
                    int64_t n) {
  if (n == 0) return;
  // One flat loop of three unit-stride operands: the elementwise launcher's fast case.
  LoopShape s;
  s.ndim = 1;
  s.noperands = 3;
  s.sizes[0] = n;
  for (int k = 0; k < 3; ++k) s.strides[k][0] = 1;
  EMBER_DISPATCH_FLOATING(dtype, "loss", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    auto* b = static_cast<const scalar_t*>(t);
    with_pointwise_loss(kind, param, [&](auto f) { launch_elementwise("pointwise_loss", s, f, o, a, b); });
  });
}

}  // namespace ember::kernels::cuda
