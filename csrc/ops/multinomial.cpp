// multinomial: num_samples category indices per row of (unnormalised) probabilities, with
// replacement by inverse CDF draws, without by an exponential race (kernels/multinomial.h). The
// draws come from ember's counter-based generator, so a seed gives the same samples on every
// device; they are not PyTorch's numbers, only its distribution.
#include <limits>

#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/multinomial.h"
#include "ops/ops.h"

namespace ember {

namespace {

bool host_flag(const Tensor& t) { return to_device(t, cpu_device()).data<bool>()[0]; }

// Note [multinomial checks read the host]: PyTorch's CUDA kernel reports a bad distribution by
// a device-side assert; ember checks the probabilities with two small reductions read back to
// the host, so a bad row is a clean Python error on every device (one wait for a GPU per call).
void check_distribution(const Tensor& p) {
  Tensor finite_nonneg = binary(BinaryOp::Mul, binary(BinaryOp::Ge, p, Scalar{0, ScalarKind::Float}),
                                binary(BinaryOp::Lt, p, Scalar{std::numeric_limits<double>::infinity(), ScalarKind::Float}));
  EMBER_CHECK(host_flag(all(finite_nonneg, {}, false)), Runtime,
              "[multinomial] probability tensor contains either `inf`, `nan` or element < 0");
  Tensor positive_rows = binary(BinaryOp::Gt, sum(p, {-1}, false), Scalar{0, ScalarKind::Float});
  EMBER_CHECK(host_flag(all(positive_rows, {}, false)), Runtime,
              "[multinomial] invalid multinomial distribution (sum of probabilities <= 0)");
}

}  // namespace

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  EMBER_CHECK(probs.dim() == 1 || probs.dim() == 2, Runtime, "[multinomial] prob_dist must be 1 or 2 dim");
  EMBER_CHECK(is_floating(probs.dtype()), Runtime, "[multinomial] multinomial only supports floating-point dtypes "
              "for input, got: ", dtype_name(probs.dtype()));
  EMBER_CHECK(num_samples > 0, Runtime, "[multinomial] cannot sample n_sample <= 0 samples");
  const int64_t categories = probs.sizes().back();
  EMBER_CHECK(replacement || num_samples <= categories, Runtime,
              "[multinomial] cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  EMBER_CHECK(categories <= (int64_t(1) << 24), Runtime, "[multinomial] number of categories cannot exceed 2^24");
  EMBER_CHECK(!gen || gen->device().type == probs.device().type, Runtime, "[multinomial] Expected a '",
              probs.device().is_cpu() ? "cpu" : "cuda", "' device type for generator but found '",
              gen->device().is_cpu() ? "cpu" : "cuda", "'");
  autograd::AutoGradMode no_grad(false);  // indices: never differentiable
  const int64_t rows = probs.dim() == 1 ? 1 : probs.sizes()[0];
  Tensor p = contiguous(reshape(probs, {rows, categories}));
  Tensor out = empty({rows, num_samples}, DType::Int64, probs.device());
  if (rows > 0) {
    check_distribution(p);
    Generator& g = generator_or_default(gen);
    auto* o = static_cast<int64_t*>(out.raw_data());
    if (replacement) {
      Tensor cdf = contiguous(cumsum(p, -1, DType::Float64));
      auto [seed, first] = g.reserve(static_cast<uint64_t>(rows * num_samples));
      EMBER_DISPATCH_KERNEL(out.device(), multinomial_with_replacement, o, static_cast<const double*>(cdf.raw_data()),
                            rows, categories, num_samples, seed, first);
    } else {
      Tensor keys = empty({rows, categories}, DType::Float64, probs.device());
      auto [seed, first] = g.reserve(static_cast<uint64_t>(rows * categories));
      EMBER_DISPATCH_KERNEL(out.device(), multinomial_race_keys, p.dtype(), static_cast<double*>(keys.raw_data()),
                            p.raw_data(), rows * categories, seed, first);
      // The first num_samples to arrive, in arrival order (Note [Exponential race]).
      out = topk(keys, num_samples, -1, /*largest=*/false, /*sorted=*/true).second;
    }
  }
  return probs.dim() == 1 ? reshape(out, {num_samples}) : out;
}

}  // namespace ember
