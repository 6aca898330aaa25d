// Emulated checks of kernels/cuda/optim.cu and grad_norm.cu (multi-tensor launches,
// multi_tensor.cuh) against their CPU twins (kernels/cpu/optim.cpp, grad_norm.cpp, linked in):
// groups of more than kMaxTensorsPerLaunch tensors (several launches), tensors of several chunks
// and of chunk-edge lengths, empty tensors, and every optimizer option (SGD, Adam, RMSprop,
// Adagrad).
#include <limits>

#include "harness_common.h"
#include "kernels/grad_norm.h"
#include "kernels/optim.h"

using namespace emu_test;
namespace kc = ember::kernels::cuda;
namespace kcpu = ember::kernels::cpu;
using namespace ember::kernels;
using ember::DType;

namespace {

// Tensor lengths of a group: chunk edges, an empty one, and enough small ones for two launches.
std::vector<int64_t> group_lengths() {
  std::vector<int64_t> n = {1, 8191, 8192, 0, 8193, 20000, 5, 257};
  for (int i = 0; i < 30; ++i) n.push_back(1 + (i * 37) % 300);
  return n;
}

// Two copies of the group's buffers (CUDA twin, CPU twin), `k` buffers per tensor.
template <class T>
struct Group {
  std::vector<std::vector<Vec<T>>> cuda, cpu;  // [buffer][tensor]
  Group(const std::vector<int64_t>& lengths, int k, uint64_t seed) : cuda(k), cpu(k) {
    for (int b = 0; b < k; ++b)
      for (size_t t = 0; t < lengths.size(); ++t) {
        auto v = random_values<T>(lengths[t], seed + 100 * b + t, 1.0);
        if (b >= 2)
          for (auto& x : v) x = std::abs(x);  // state buffers like exp_avg_sq are >= 0
        cuda[b].push_back(v);
        cpu[b].push_back(v);
      }
  }
  void* ptr(bool on_cuda, int b, size_t t) { return (on_cuda ? cuda : cpu)[b][t].data(); }
  void compare(const std::string& what, double tol) {
    for (size_t b = 0; b < cuda.size(); ++b)
      for (size_t t = 0; t < cuda[b].size(); ++t)
        for (size_t i = 0; i < cuda[b][t].size(); ++i)
          expect_close(double(cuda[b][t][i]), double(cpu[b][t][i]), tol, tol,
                       what + fmt(" buffer %lld tensor %lld element %lld", b, t, i));
  }
};

template <class T>
void check_optimizers() {
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  const auto lengths = group_lengths();
  int variant = 0;
  for (double momentum : {0.0, 0.9})
    for (bool nesterov : {false, true})
      for (bool first : {false, true}) {
        if (nesterov && momentum == 0) continue;
        SgdHyper h{0.1, momentum, nesterov ? 0.0 : 0.2, 0.01, nesterov, variant % 2 == 1};
        Group<T> g(lengths, 3, 7 + variant++);
        for (bool on_cuda : {true, false}) {
          std::vector<SgdSlot> slots;
          for (size_t t = 0; t < lengths.size(); ++t)
            slots.push_back({lengths[t], g.ptr(on_cuda, 0, t), g.ptr(on_cuda, 1, t),
                             momentum != 0 ? g.ptr(on_cuda, 2, t) : nullptr, first && t % 2 == 0});
          (on_cuda ? kc::sgd_update_group : kcpu::sgd_update_group)(dt, slots, h);
        }
        g.compare(fmt("sgd momentum=%lld nesterov=%lld first=%lld", momentum != 0, nesterov, first), tol);
      }
  for (bool amsgrad : {false, true})
    for (bool decoupled : {false, true}) {
      AdamHyper h{0.01, 0.9, 0.999, 1e-8, 0.1, amsgrad, decoupled, decoupled};
      Group<T> g(lengths, 5, 11 + variant++);
      for (bool on_cuda : {true, false}) {
        std::vector<AdamSlot> slots;
        for (size_t t = 0; t < lengths.size(); ++t)
          slots.push_back({lengths[t], g.ptr(on_cuda, 0, t), g.ptr(on_cuda, 1, t), g.ptr(on_cuda, 2, t),
                           g.ptr(on_cuda, 3, t), amsgrad ? g.ptr(on_cuda, 4, t) : nullptr, double(1 + t % 4)});
        (on_cuda ? kc::adam_update_group : kcpu::adam_update_group)(dt, slots, h);
      }
      g.compare(fmt("adam amsgrad=%lld decoupled=%lld", amsgrad, decoupled), tol);
    }
  // Capturable (Note [Capturable Adam]): each count beside its tensor, float32 or float64, bumped
  // by the kernels (an empty tensor's too), then read for the bias corrections.
  for (bool amsgrad : {false, true}) {
    AdamHyper h{0.01, 0.9, 0.999, 1e-8, 0.1, amsgrad, false, true};
    Group<T> g(lengths, 5, 17 + variant++);
    std::vector<float> counts32[2];
    std::vector<double> counts64[2];
    for (bool on_cuda : {true, false}) {
      counts32[on_cuda].assign(lengths.size(), 0.f);
      counts64[on_cuda].assign(lengths.size(), 0.0);
      for (size_t t = 0; t < lengths.size(); ++t) counts32[on_cuda][t] = counts64[on_cuda][t] = double(t % 4);
      std::vector<AdamSlot> slots;
      for (size_t t = 0; t < lengths.size(); ++t) {
        AdamSlot s{lengths[t], g.ptr(on_cuda, 0, t), g.ptr(on_cuda, 1, t), g.ptr(on_cuda, 2, t),
                   g.ptr(on_cuda, 3, t), amsgrad ? g.ptr(on_cuda, 4, t) : nullptr, 0.0};
        s.step_count_f64 = t % 3 == 0;
        s.step_count = s.step_count_f64 ? static_cast<void*>(&counts64[on_cuda][t]) : &counts32[on_cuda][t];
        slots.push_back(s);
      }
      (on_cuda ? kc::adam_update_group : kcpu::adam_update_group)(dt, slots, h);
    }
    g.compare(fmt("capturable adam amsgrad=%lld", amsgrad), tol);
    for (size_t t = 0; t < lengths.size(); ++t) {
      const double want = double(t % 4) + 1;
      const double got = t % 3 == 0 ? counts64[1][t] : counts32[1][t];
      const double twin = t % 3 == 0 ? counts64[0][t] : counts32[0][t];
      expect_close(got, want, 0, 0, fmt("capturable adam count of tensor %lld", t));
      expect_close(twin, want, 0, 0, fmt("capturable adam CPU twin's count of tensor %lld", t));
    }
  }
  for (bool centered : {false, true})
    for (double momentum : {0.0, 0.5}) {
      RmspropHyper h{0.01, 0.99, 1e-8, 0.05, momentum, centered, centered};
      Group<T> g(lengths, 5, 13 + variant++);
      for (bool on_cuda : {true, false}) {
        std::vector<RmspropSlot> slots;
        for (size_t t = 0; t < lengths.size(); ++t)
          slots.push_back({lengths[t], g.ptr(on_cuda, 0, t), g.ptr(on_cuda, 1, t), g.ptr(on_cuda, 2, t),
                           centered ? g.ptr(on_cuda, 3, t) : nullptr, momentum != 0 ? g.ptr(on_cuda, 4, t) : nullptr});
        (on_cuda ? kc::rmsprop_update_group : kcpu::rmsprop_update_group)(dt, slots, h);
      }
      g.compare(fmt("rmsprop centered=%lld momentum=%lld", centered, momentum != 0), tol);
    }
  for (double lr_decay : {0.0, 0.3})
    for (bool maximize : {false, true}) {
      AdagradHyper h{0.05, lr_decay, maximize ? 0.1 : 0.0, 1e-10, maximize};
      Group<T> g(lengths, 3, 17 + variant++);
      for (bool on_cuda : {true, false}) {
        std::vector<AdagradSlot> slots;
        for (size_t t = 0; t < lengths.size(); ++t)
          slots.push_back({lengths[t], g.ptr(on_cuda, 0, t), g.ptr(on_cuda, 1, t), g.ptr(on_cuda, 2, t),
                           double(1 + t % 5)});
        (on_cuda ? kc::adagrad_update_group : kcpu::adagrad_update_group)(dt, slots, h);
      }
      g.compare(fmt("adagrad lr_decay=%lld maximize=%lld", lr_decay != 0, maximize), tol);
    }
}

template <class T>
void check_grad_norm() {
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  const auto lengths = group_lengths();
  for (int pattern = 0; pattern < 3; ++pattern) {
    Group<T> g(lengths, 1, 17 + pattern);
    if (pattern == 1) g.cuda[0][5][123] = g.cpu[0][5][123] = std::numeric_limits<T>::quiet_NaN();
    if (pattern == 2) g.cuda[0][6][4] = g.cpu[0][6][4] = -std::numeric_limits<T>::infinity();
    std::vector<GradSlot> slots;
    for (size_t t = 0; t < lengths.size(); ++t) slots.push_back({lengths[t], g.ptr(true, 0, t)});
    const int64_t count = norm_partial_count(slots);
    for (double p : {1.0, 2.0, 3.0, double(INFINITY)}) {
      const GradNorm norm = GradNorm::of(p);
      Vec<double> pc(count + 1, -5.0), pg(count + 1, -5.0);
      kc::grad_norm_partials(dt, slots, norm, pg.data());
      kcpu::grad_norm_partials(dt, slots, norm, pc.data());
      const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
      const std::string what = fmt("grad_norm p=%lld pattern=%lld", std::isinf(p) ? -1 : (long long)p, pattern);
      for (int64_t i = 0; i <= count; ++i) expect_close(pg[i], pc[i], tol, 1e-30, what + fmt(" partial %lld", i));
      T out_g = T(-5), out_c = T(-5);
      kc::grad_norm_finish(dt, pc.data(), count, norm, &out_g);
      kcpu::grad_norm_finish(dt, pc.data(), count, norm, &out_c);
      expect_close(double(out_g), double(out_c), tol, 0, what + " finish");
    }
    const T scale = T(0.375);
    kc::scale_group(dt, slots, &scale);
    for (size_t t = 0; t < lengths.size(); ++t)
      for (int64_t i = 0; i < lengths[t]; ++i)
        expect_close(double(g.cuda[0][t][i]), double(g.cpu[0][t][i] * scale), 0, 0, fmt("scale_group tensor %lld element %lld", t, i));
  }
}

}  // namespace

void test_optim() {
  check_optimizers<float>();
  check_optimizers<double>();
  check_grad_norm<float>();
  check_grad_norm<double>();
}
