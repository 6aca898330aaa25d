// Drawing categories from rows of probabilities (multinomial): kernels/cpu/multinomial.cpp and
// its CUDA twin kernels/cuda/multinomial.cu. Both compute each draw from its own counter of the
// counter-based generator (Note [Counter-based generator]), so they give the same samples.
#pragma once
#include <cstdint>

#include "core/dtype.h"
#include "kernels/random_bits.h"
#include "kernels/twins.h"

namespace ember::kernels {

// Note [Inverse CDF draw]: with replacement, sample s of row r takes u = U(seed, first + r * num_samples + s)
// times the row's total and picks the first category whose running sum exceeds it. A category
// of probability 0 never wins (its running sum equals its left neighbour's). u * total can round up
// to the total itself; then the last category with a nonzero probability is taken.
EMBER_HD inline int64_t inverse_cdf_pick(const double* cdf, int64_t n, double u) {
  const double target = u * cdf[n - 1];
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  if (lo < n) return lo;
  int64_t last = n - 1;
  while (last > 0 && !(cdf[last] > cdf[last - 1])) --last;
  return last;
}

// Note [Exponential race]: without replacement, category i gets the key E_i / p_i with
// E_i ~ Exp(1) drawn from counter first + i; the categories in increasing key order are a draw
// without replacement with probabilities proportional to p (the first to arrive in a race of
// exponential clocks of rates p_i; Gumbel top-k in other words). p_i = 0 never arrives (key +inf).
template <class T>
EMBER_HD inline double race_key(T p, uint64_t seed, uint64_t counter) {
  const double e = -std::log(1.0 - uniform01<double>(seed, counter));  // 1 - u is in (0, 1]
  return p > T(0) ? e / static_cast<double>(p) : static_cast<double>(INFINITY);
}

}  // namespace ember::kernels

#define EMBER_MULTINOMIAL_KERNELS                                                                     \
  /* out[r, s] = inverse_cdf_pick(cdf + r * categories, categories, U(seed, first + r * num_samples + s)) \
     for a float64 [rows, categories] block of running sums (Note [Inverse CDF draw]). */          \
  void multinomial_with_replacement(int64_t* out, const double* cdf, int64_t rows, int64_t categories, \
                                    int64_t num_samples, uint64_t seed, uint64_t first);           \
  /* keys[i] = race_key(probs[i], seed, first + i) for i < n, in float64 (Note [Exponential race]). */ \
  void multinomial_race_keys(DType dtype, double* keys, const void* probs, int64_t n, uint64_t seed, uint64_t first);

EMBER_DECLARE_TWINS(EMBER_MULTINOMIAL_KERNELS)
