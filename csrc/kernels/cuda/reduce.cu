// CUDA twins of kernels::cpu::sum_last_axis, sum_first_axis, var_last_axis and minmax_last_axis.
// Rows go through the generic reduction of row_reduce.cuh; columns (sum_first_axis) have their
// own coalesced kernel. Floating sums accumulate in double, as the CPU's chunk totals do, and
// integer sums in int64 (wrapping like the CPU's and PyTorch's: Note [Wrapping integer arithmetic]).
#include <type_traits>

#include "kernels/cuda/row_reduce.cuh"
#include "kernels/reduce.h"

namespace ember::kernels::cuda {

namespace {

template <typename T>
using sum_acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <typename T>
struct SumReducer {
  using acc_t = sum_acc_t<T>;
  const T* in;
  T* out;
  int64_t inner;
  __device__ acc_t identity() const { return acc_t(0); }
  __device__ acc_t load(int64_t row, int64_t j) const { return static_cast<acc_t>(in[row * inner + j]); }
  __device__ acc_t combine(acc_t a, acc_t b) const { return wrapping_add(a, b); }
  __device__ void store(int64_t row, acc_t a) const { out[row] = static_cast<T>(a); }
};

// prod: float32 multiplies in double (as the CPU twin); int64 wraps (an unsigned multiply, no UB).
template <typename T>
struct ProdReducer {
  using acc_t = sum_acc_t<T>;
  const T* in;
  T* out;
  int64_t inner;
  __device__ acc_t identity() const { return acc_t(1); }
  __device__ acc_t load(int64_t row, int64_t j) const { return static_cast<acc_t>(in[row * inner + j]); }
  __device__ acc_t combine(acc_t a, acc_t b) const { return wrapping_mul(a, b); }
  __device__ void store(int64_t row, acc_t a) const { out[row] = static_cast<T>(a); }
};

// Pass 1 of var: each row's mean, in double (0 / 0 = NaN for an empty row, as on the CPU).
template <typename T>
struct MeanReducer {
  using acc_t = double;
  const T* in;
  double* mean;
  int64_t inner;
  __device__ double identity() const { return 0.0; }
  __device__ double load(int64_t row, int64_t j) const { return static_cast<double>(in[row * inner + j]); }
  __device__ double combine(double a, double b) const { return a + b; }
  __device__ void store(int64_t row, double a) const { mean[row] = a / static_cast<double>(inner); }
};

// Pass 2 of var: the squared deviations from the row's mean, over the divisor.
template <typename T>
struct SquaredDeviationReducer {
  using acc_t = double;
  const T* in;
  const double* mean;
  T* out;
  int64_t inner;
  double divisor;
  __device__ double identity() const { return 0.0; }
  __device__ double load(int64_t row, int64_t j) const {
    return squared_deviation(static_cast<double>(in[row * inner + j]), mean[row]);
  }
  __device__ double combine(double a, double b) const { return a + b; }
  __device__ void store(int64_t row, double a) const { out[row] = static_cast<T>(a / divisor); }
};

template <typename T>
struct ExtremeReducer {
  using acc_t = ArgExtreme<T>;
  const T* in;
  T* out;
  int64_t* indices;
  int64_t inner;
  bool is_max, last_of_ties;
  __device__ acc_t identity() const { return {T(0), -1}; }
  __device__ acc_t load(int64_t row, int64_t j) const { return {in[row * inner + j], j}; }
  __device__ acc_t combine(acc_t a, acc_t b) const { return arg_extreme_combine(is_max, a, b, last_of_ties); }
  __device__ void store(int64_t row, acc_t a) const {
    out[row] = a.value;
    if (indices) indices[row] = a.index;
  }
};

// ---- sum_first_axis: out[j] = sum_i in[i * cols + j]
// Note [Column sums]: a block is 32 columns by 8 row lanes; the 32 threads of a warp read 32
// neighbouring columns of one row (coalesced), and the 8 lanes stride down the rows. The lanes'
// totals are folded in a fixed order through shared memory. When the columns alone give too few
// blocks (a bias gradient of 10 outputs over a batch of 10^6), the rows are also split across
// blocks (grid y), whose partials a second kernel adds per column.
constexpr int kColTile = 32, kRowLanes = 8;

template <typename T>
__global__ void sum_columns(const T* in, T* out, sum_acc_t<T>* partial, int64_t rows, int64_t cols,
                            int64_t rows_per_split) {
  using A = sum_acc_t<T>;
  __shared__ A tile[kRowLanes][kColTile + 1];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColTile + threadIdx.x;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * rows_per_split;
  const int64_t r1 = r0 + rows_per_split < rows ? r0 + rows_per_split : rows;
  A acc = A(0);
  if (col < cols)
    for (int64_t r = r0 + threadIdx.y; r < r1; r += kRowLanes) acc = wrapping_add(acc, static_cast<A>(in[r * cols + col]));
  tile[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y != 0 || col >= cols) return;
  A total = tile[0][threadIdx.x];
  for (int l = 1; l < kRowLanes; ++l) total = wrapping_add(total, tile[l][threadIdx.x]);
  if (partial) partial[static_cast<int64_t>(blockIdx.y) * cols + col] = total;
  else out[col] = static_cast<T>(total);
}

template <typename T>
__global__ void sum_column_partials(const sum_acc_t<T>* partial, T* out, int64_t splits, int64_t cols) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < cols; col += step) {
    sum_acc_t<T> total = partial[col];
    for (int64_t s = 1; s < splits; ++s) total = wrapping_add(total, partial[s * cols + col]);
    out[col] = static_cast<T>(total);
  }
}

}  // namespace

void sum_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    SumReducer<scalar_t> r{static_cast<const scalar_t*>(in), static_cast<scalar_t*>(out), inner};
    reduce_rows("sum", r, outer, inner);
  });
}

void sum_first_axis(DType dtype, void* out, const void* in, int64_t rows, int64_t cols) {
  // One column (the sum of a whole contiguous tensor) is one contiguous row, as on the CPU.
  if (cols == 1) return sum_last_axis(dtype, out, in, 1, rows);
  if (cols == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "sum", [&] {
    using A = sum_acc_t<scalar_t>;
    auto* o = static_cast<scalar_t*>(out);
    auto* x = static_cast<const scalar_t*>(in);
    cudaStream_t stream = ember::cuda::current_stream();
    const int64_t col_blocks = (cols + kColTile - 1) / kColTile;
    // Split the rows only while the column blocks leave the GPU idle, keeping >= 256 rows a split.
    int64_t splits = std::min<int64_t>((rows + 255) / 256, kTargetBlocks / col_blocks);
    splits = std::max<int64_t>(1, std::min<int64_t>(splits, 65535));
    const int64_t rows_per_split = (rows + splits - 1) / splits;
    // col_blocks < 2^31 for any tensor that fits in memory (cols < 2^36 elements).
    const dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(splits));
    const dim3 block(kColTile, kRowLanes);
    if (splits == 1) {
      sum_columns<<<grid, block, 0, stream>>>(x, o, static_cast<A*>(nullptr), rows, cols, rows_per_split);
      EMBER_CUDA_CHECK_LAUNCH("sum_columns");
      return;
    }
    // Partials from ember's pool, freed in stream order after the second kernel (row_reduce.cuh).
    std::shared_ptr<void> buf = ember::cuda::allocate(static_cast<size_t>(splits * cols) * sizeof(A),
                                                      ember::cuda::current_device());
    auto* partial = static_cast<A*>(buf.get());
    sum_columns<<<grid, block, 0, stream>>>(x, o, partial, rows, cols, rows_per_split);
    EMBER_CUDA_CHECK_LAUNCH("sum_columns");
    sum_column_partials<<<grid_for(cols, kThreads), kThreads, 0, stream>>>(partial, o, splits, cols);
    EMBER_CUDA_CHECK_LAUNCH("sum_column_partials");
  });
}

void var_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner, double correction) {
  if (outer == 0) return;
  EMBER_DISPATCH_FLOATING(dtype, "var", [&] {
    auto* x = static_cast<const scalar_t*>(in);
    // The two passes of the CPU twin: row means into a scratch buffer from ember's pool, then
    // the squared deviations from them.
    std::shared_ptr<void> buf = ember::cuda::allocate(static_cast<size_t>(outer) * sizeof(double),
                                                      ember::cuda::current_device());
    auto* mean = static_cast<double*>(buf.get());
    reduce_rows("var_mean", MeanReducer<scalar_t>{x, mean, inner}, outer, inner);
    const double divisor = variance_divisor(inner, correction);
    SquaredDeviationReducer<scalar_t> r{x, mean, static_cast<scalar_t*>(out), inner, divisor};
    reduce_rows("var", r, outer, inner);
  });
}

void minmax_last_axis(DType dtype, bool is_max, bool last_of_ties, void* out, int64_t* indices, const void* in,
                      int64_t outer, int64_t inner) {
  EMBER_DISPATCH_ALL(dtype, is_max ? "max" : "min", [&] {
    ExtremeReducer<scalar_t> r{static_cast<const scalar_t*>(in), static_cast<scalar_t*>(out), indices, inner, is_max,
                               last_of_ties};
    reduce_rows(is_max ? "max" : "min", r, outer, inner);
  });
}

void prod_last_axis(DType dtype, void* out, const void* in, int64_t outer, int64_t inner) {
  EMBER_DISPATCH_NUMERIC(dtype, "prod", [&] {
    ProdReducer<scalar_t> r{static_cast<const scalar_t*>(in), static_cast<scalar_t*>(out), inner};
    reduce_rows("prod", r, outer, inner);
  });
}

}  // namespace ember::kernels::cuda
