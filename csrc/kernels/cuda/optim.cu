// CUDA twins of the optimizer group updates: one multi-tensor launch per (up to)
// kMaxTensorsPerLaunch tensors of a param group (kernels/cuda/multi_tensor.cuh), each element
// updated by the same functor as the CPU loop (kernels/optim_functors.h). The functor is built
// once on the host from the group's hyperparameters; per-tensor fields (SGD's first step, Adam's
// bias corrections from the CPU step count, or the count's place on the device for a capturable
// Adam) come from the launch struct: no host-device traffic.
#include "kernels/optim.h"

#include "kernels/cuda/multi_tensor.cuh"

namespace ember::kernels::cuda {

namespace {

// Each element's values are read into registers, updated and written back, so the functor's
// references never alias global memory.
template <typename T>
__global__ void sgd_kernel(const TensorChunks<3> m, SgdUpdate<T> f) {
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  T* p = static_cast<T*>(m.ptr[0][t]);
  const T* g = static_cast<const T*>(m.ptr[1][t]);
  T* buf = static_cast<T*>(m.ptr[2][t]);
  f.first = m.scalar[0][t] != 0.0;
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) {
    T pv = p[i];
    T b = T(0);
    if (buf && !f.first) b = buf[i];
    f(pv, g[i], buf ? &b : nullptr);
    p[i] = pv;
    if (buf) buf[i] = b;
  }
}

// A capturable step's counts (Note [Capturable Adam]): block t adds one to tensor t's count,
// which ptr[0] points at (scalar[0] says float64). A launch of its own, queued before the update,
// because every block of the update reads the count.
__global__ void adam_count_kernel(const TensorChunks<1> m) {
  const int t = blockIdx.x;
  if (threadIdx.x != 0) return;
  if (m.scalar[0][t] != 0.0) *static_cast<double*>(m.ptr[0][t]) += 1.0;
  else *static_cast<float*>(m.ptr[0][t]) += 1.0f;
}

// ptr[5] is the tensor's step count when it lives on the device (capturable; scalar[0] then says
// float64), else null and scalar[0..1] carry the scalars computed from the host's count.
template <typename T>
__global__ void adam_kernel(const TensorChunks<6> m, AdamUpdate<T> f, AdamHyper h) {
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  T* p = static_cast<T*>(m.ptr[0][t]);
  const T* g = static_cast<const T*>(m.ptr[1][t]);
  T* exp_avg = static_cast<T*>(m.ptr[2][t]);
  T* exp_avg_sq = static_cast<T*>(m.ptr[3][t]);
  T* vmax = static_cast<T*>(m.ptr[4][t]);
  if (m.ptr[5][t]) {
    f.set_count(m.ptr[5][t], m.scalar[0][t] != 0.0, h.lr, h.beta1, h.beta2);
  } else {
    f.step_size = T(m.scalar[0][t]);
    f.bias_correction2_sqrt = T(m.scalar[1][t]);
  }
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) {
    T pv = p[i], mv = exp_avg[i], vv = exp_avg_sq[i];
    T vm = vmax ? vmax[i] : T(0);
    f(pv, g[i], mv, vv, vmax ? &vm : nullptr);
    p[i] = pv;
    exp_avg[i] = mv;
    exp_avg_sq[i] = vv;
    if (vmax) vmax[i] = vm;
  }
}

template <typename T>
__global__ void rmsprop_kernel(const TensorChunks<5> m, RmspropUpdate<T> f) {
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  T* p = static_cast<T*>(m.ptr[0][t]);
  const T* g = static_cast<const T*>(m.ptr[1][t]);
  T* square_avg = static_cast<T*>(m.ptr[2][t]);
  T* grad_avg = static_cast<T*>(m.ptr[3][t]);
  T* buf = static_cast<T*>(m.ptr[4][t]);
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) {
    T pv = p[i], sq = square_avg[i];
    T ga = grad_avg ? grad_avg[i] : T(0);
    T b = buf ? buf[i] : T(0);
    f(pv, g[i], sq, grad_avg ? &ga : nullptr, buf ? &b : nullptr);
    p[i] = pv;
    square_avg[i] = sq;
    if (grad_avg) grad_avg[i] = ga;
    if (buf) buf[i] = b;
  }
}

template <typename T>
__global__ void adagrad_kernel(const TensorChunks<3> m, AdagradUpdate<T> f) {
  int64_t chunk;
  const int t = tensor_of_block(m, blockIdx.x, chunk);
  const ChunkRange r = chunk_range(m.n[t], chunk);
  T* p = static_cast<T*>(m.ptr[0][t]);
  const T* g = static_cast<const T*>(m.ptr[1][t]);
  T* sum = static_cast<T*>(m.ptr[2][t]);
  f.neg_clr = T(m.scalar[0][t]);
  for (int64_t i = r.lo + threadIdx.x; i < r.hi; i += blockDim.x) {
    T pv = p[i], sv = sum[i];
    f(pv, g[i], sv);
    p[i] = pv;
    sum[i] = sv;
  }
}

template <typename Kernel, int Depth, typename... Args>
void launch(Kernel kernel, const char* name, const TensorChunks<Depth>& m, int64_t blocks, const Args&... args) {
  kernel<<<static_cast<unsigned>(blocks), kMultiTensorThreads, 0, ember::cuda::current_stream()>>>(m, args...);
  EMBER_CUDA_CHECK_LAUNCH(name);
}

}  // namespace

void sgd_update_group(DType dtype, const std::vector<SgdSlot>& slots, const SgdHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "sgd", [&] {
    using T = scalar_t;
    const SgdUpdate<T> f = make_sgd_update<T>(h, false);
    for_each_launch<3>(slots.size(), [&](TensorChunks<3>& m, int k, size_t i) {
      const SgdSlot& s = slots[i];
      m.ptr[0][k] = s.param;
      m.ptr[1][k] = const_cast<void*>(s.grad);
      m.ptr[2][k] = s.momentum_buf;
      m.scalar[0][k] = s.first_step ? 1.0 : 0.0;
      return s.n;
    }, [&](const TensorChunks<3>& m, int64_t blocks) { launch(sgd_kernel<T>, "sgd", m, blocks, f); });
  });
}

void adam_update_group(DType dtype, const std::vector<AdamSlot>& slots, const AdamHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "adam", [&] {
    using T = scalar_t;
    const AdamUpdate<T> f = make_adam_update<T>(h, AdamStepScalars{1.0, 1.0});  // per tensor below
    // The device counts first, each once (an empty parameter's too, as torch counts it).
    for_each_launch<1>(slots.size(), [&](TensorChunks<1>& m, int k, size_t i) {
      m.ptr[0][k] = slots[i].step_count;
      m.scalar[0][k] = slots[i].step_count_f64 ? 1.0 : 0.0;
      return slots[i].step_count ? int64_t{1} : int64_t{0};
    }, [&](const TensorChunks<1>& m, int64_t blocks) { launch(adam_count_kernel, "adam_count", m, blocks); });
    for_each_launch<6>(slots.size(), [&](TensorChunks<6>& m, int k, size_t i) {
      const AdamSlot& s = slots[i];
      m.ptr[0][k] = s.param;
      m.ptr[1][k] = const_cast<void*>(s.grad);
      m.ptr[2][k] = s.exp_avg;
      m.ptr[3][k] = s.exp_avg_sq;
      m.ptr[4][k] = s.max_exp_avg_sq;
      m.ptr[5][k] = s.step_count;
      if (s.step_count) {
        m.scalar[0][k] = s.step_count_f64 ? 1.0 : 0.0;
      } else {
        const AdamStepScalars sc = adam_step_scalars(h, s.step);
        m.scalar[0][k] = sc.step_size;
        m.scalar[1][k] = sc.bias_correction2_sqrt;
      }
      return s.n;
    }, [&](const TensorChunks<6>& m, int64_t blocks) { launch(adam_kernel<T>, "adam", m, blocks, f, h); });
  });
}

void rmsprop_update_group(DType dtype, const std::vector<RmspropSlot>& slots, const RmspropHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "rmsprop", [&] {
    using T = scalar_t;
    const RmspropUpdate<T> f = make_rmsprop_update<T>(h);
    for_each_launch<5>(slots.size(), [&](TensorChunks<5>& m, int k, size_t i) {
      const RmspropSlot& s = slots[i];
      m.ptr[0][k] = s.param;
      m.ptr[1][k] = const_cast<void*>(s.grad);
      m.ptr[2][k] = s.square_avg;
      m.ptr[3][k] = s.grad_avg;
      m.ptr[4][k] = s.momentum_buf;
      return s.n;
    }, [&](const TensorChunks<5>& m, int64_t blocks) { launch(rmsprop_kernel<T>, "rmsprop", m, blocks, f); });
  });
}

void adagrad_update_group(DType dtype, const std::vector<AdagradSlot>& slots, const AdagradHyper& h) {
  EMBER_DISPATCH_FLOATING(dtype, "adagrad", [&] {
    using T = scalar_t;
    const AdagradUpdate<T> f = make_adagrad_update<T>(h, 1.0);  // neg_clr per tensor below
    for_each_launch<3>(slots.size(), [&](TensorChunks<3>& m, int k, size_t i) {
      const AdagradSlot& s = slots[i];
      m.ptr[0][k] = s.param;
      m.ptr[1][k] = const_cast<void*>(s.grad);
      m.ptr[2][k] = s.sum;
      m.scalar[0][k] = -adagrad_clr(h, s.step);
      return s.n;
    }, [&](const TensorChunks<3>& m, int64_t blocks) { launch(adagrad_kernel<T>, "adagrad", m, blocks, f); });
  });
}

}  // namespace ember::kernels::cuda
