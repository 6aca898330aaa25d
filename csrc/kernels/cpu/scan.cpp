#include "kernels/scan.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ember::kernels::cpu {

// Each (outer) block is scanned by one thread: along the axis one element after another, with
// one running accumulator per inner column (the k loop is outside, so memory is read in order).
void scan(DType dtype, ScanKind kind, bool reverse, void* out, const void* in, int64_t outer, int64_t len,
          int64_t inner) {
  if (outer == 0 || len == 0 || inner == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "cumulative op", [&] {
    using A = scan_acc_t<scalar_t>;
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    const int64_t block = len * inner;
    parallel_for(outer, std::max<int64_t>(1, kParallelGrain / block), [&](int64_t lo, int64_t hi) {
      std::vector<A> acc(static_cast<size_t>(inner));
      for (int64_t b = lo; b < hi; ++b) {
        std::fill(acc.begin(), acc.end(), scan_identity<A>(kind));
        for (int64_t step = 0; step < len; ++step) {
          const int64_t k = reverse ? len - 1 - step : step;
          const scalar_t* xr = x + b * block + k * inner;
          scalar_t* orow = o + b * block + k * inner;
          for (int64_t i = 0; i < inner; ++i) {
            acc[i] = scan_combine(kind, acc[i], static_cast<A>(xr[i]));
            orow[i] = static_cast<scalar_t>(acc[i]);
          }
        }
      }
    });
  });
}

}  // namespace ember::kernels::cpu
