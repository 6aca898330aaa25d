#include "kernels/cpu/pointwise_loss.h"

#include "kernels/cpu/parallel.h"
#include "kernels/loss_functors.h"

namespace ember::kernels::cpu {

namespace {
template <typename T, typename F>
void apply(F f, T* out, const T* x, const T* t, int64_t n) {
  parallel_for(n, kParallelGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = f(x[i], t[i]);
  });
}
}  // namespace

void pointwise_loss(PointwiseLoss kind, DType dtype, void* out, const void* x, const void* t, int64_t n) {
  EMBER_DISPATCH_FLOATING(dtype, "loss", [&] {
    auto* o = static_cast<scalar_t*>(out);
    auto* a = static_cast<const scalar_t*>(x);
    auto* b = static_cast<const scalar_t*>(t);
    if (kind == PointwiseLoss::SquaredError) apply(SquaredErrorF{}, o, a, b, n);
    else apply(BceWithLogitsF{}, o, a, b, n);
  });
}

}  // namespace ember::kernels::cpu
