#include "kernels/cpu/linear_epilogue.h"

#include <algorithm>

#include "kernels/cpu/parallel.h"
#include "kernels/gemm_indexing.h"

namespace ember::kernels::cpu {

namespace {
// Rows per parallel chunk so that a chunk has about kParallelGrain elements.
int64_t row_grain(int64_t N) { return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(N, 1)); }
}  // namespace

void fill_rows(DType dtype, void* C, const void* bias, int64_t M, int64_t N) {
  EMBER_DISPATCH_FLOATING(dtype, "linear", [&] {
    auto* c = static_cast<scalar_t*>(C);
    auto* b = static_cast<const scalar_t*>(bias);
    parallel_for(M, row_grain(N), [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) std::copy(b, b + N, c + i * N);
    });
  });
}

void bias_relu(DType dtype, void* C, const void* bias, int64_t M, int64_t N) {
  EMBER_DISPATCH_FLOATING(dtype, "linear_relu", [&] {
    auto* c = static_cast<scalar_t*>(C);
    auto* b = static_cast<const scalar_t*>(bias);
    parallel_for(M, row_grain(N), [&](int64_t r0, int64_t r1) {
      for (int64_t i = r0; i < r1; ++i) {
        scalar_t* row = c + i * N;
        // The CUDA GEMM applies the same epilogue in its write-back (kernels/gemm_indexing.h).
        if (b) {
          for (int64_t j = 0; j < N; ++j) row[j] = gemm_epilogue(row[j], b, j, true);
        } else {
          for (int64_t j = 0; j < N; ++j) row[j] = gemm_epilogue(row[j], static_cast<const scalar_t*>(nullptr), j, true);
        }
      }
    });
  });
}

}  // namespace ember::kernels::cpu
