#include "kernels/activation.h"

#include "kernels/activation_functors.h"
#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

namespace {
// Transcendental maths costs ~20x a plain add, so these loops pay for threads much earlier.
constexpr int64_t kGrain = kParallelGrain / 16;
}  // namespace

void gelu(DType dtype, void* out, const void* x, int64_t n, bool tanh_form) {
  EMBER_DISPATCH_FLOATING(dtype, "gelu", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    GeluF f{tanh_form};
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
  });
}

void gelu_backward(DType dtype, void* out, const void* g, const void* x, int64_t n, bool tanh_form) {
  EMBER_DISPATCH_FLOATING(dtype, "gelu_backward", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* gp = static_cast<const scalar_t*>(g);
    auto* a = static_cast<const scalar_t*>(x);
    GeluGradF f{tanh_form};
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = gp[i] * f(a[i]);
    });
  });
}

void relu_backward(DType dtype, void* out, const void* g, const void* y, int64_t n) {
  EMBER_DISPATCH_FLOATING(dtype, "relu_backward", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* gp = static_cast<const scalar_t*>(g);
    auto* yp = static_cast<const scalar_t*>(y);
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = ReluGradF{}(gp[i], yp[i]);
    });
  });
}

void leaky_relu(DType dtype, void* out, const void* x, int64_t n, double slope) {
  EMBER_DISPATCH_FLOATING(dtype, "leaky_relu", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    LeakyReluF<scalar_t> f{static_cast<scalar_t>(slope)};
    parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
  });
}

void elu(DType dtype, void* out, const void* x, int64_t n, double alpha, double scale, double input_scale) {
  EMBER_DISPATCH_FLOATING(dtype, "elu", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    EluF<scalar_t> f{static_cast<scalar_t>(alpha * scale), static_cast<scalar_t>(scale),
                     static_cast<scalar_t>(input_scale)};
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
  });
}

void softplus(DType dtype, void* out, const void* x, int64_t n, double beta, double threshold) {
  EMBER_DISPATCH_FLOATING(dtype, "softplus", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    SoftplusF<scalar_t> f{static_cast<scalar_t>(beta), static_cast<scalar_t>(threshold)};
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(a[i]);
    });
  });
}

void dropout(DType dtype, void* out, void* mask, const void* x, int64_t n, double p, uint64_t seed) {
  EMBER_DISPATCH_FLOATING(dtype, "dropout", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* m = static_cast<scalar_t*>(mask);
    auto* a = static_cast<const scalar_t*>(x);
    scalar_t scale = p < 1.0 ? static_cast<scalar_t>(1.0 / (1.0 - p)) : scalar_t(0);
    parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        m[i] = dropout_keeps(seed, i, p) ? scale : scalar_t(0);
        o[i] = a[i] * m[i];
      }
    });
  });
}

}  // namespace ember::kernels::cpu
