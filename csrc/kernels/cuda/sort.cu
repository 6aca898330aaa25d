// CUDA twin of kernels::cpu::sort_rows and search_sorted.
// Note [Bitonic row sort]: each row is copied into a scratch row of P = next power of two >= n
// slots (the slots past n are padding that sorts after everything) and sorted by a bitonic
// network over (value, position) pairs under Note [Sort order]. That order is strict and total,
// so the network (not stable by itself) gives exactly the stable permutation of the CPU twin.
// Steps whose pairs lie within one tile of kTile slots (j < kTile) run in shared memory, many
// steps per launch (bitonic_local): a row of up to kTile slots is sorted by one launch, a longer
// one by a global launch per step with j >= kTile (a grid-stride loop over the pairs of every row
// at once) and a local launch after each merge level. Then the first n slots are copied out.
// Scratch comes from ember's pool and is freed in stream order.
#include "kernels/cuda/row_reduce.cuh"
#include "kernels/sort.h"

namespace ember::kernels::cuda {

namespace {

// Note [Sort order] with the padding (position >= n) after every element.
template <typename T>
__device__ __forceinline__ bool padded_before(bool descending, int64_t n, T a, int64_t ia, T b, int64_t ib) {
  const bool pa = ia >= n, pb = ib >= n;
  if (pa || pb) return pa && pb ? ia < ib : pb;
  return sort_before(descending, a, ia, b, ib);
}

template <typename T>
__global__ void bitonic_load(T* key, int64_t* pos, const T* in, int64_t rows, int64_t n, int64_t p) {
  const int64_t total = rows * p, step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t r = e / p, i = e % p;
    key[e] = i < n ? in[r * n + i] : T(0);
    pos[e] = i;
  }
}

// One step (k, j) of the network: slot i and its partner i + j (bit j of i clear) are put in
// order, ascending where bit k of i is clear and descending where it is set.
template <typename T>
__global__ void bitonic_step(bool descending, T* key, int64_t* pos, int64_t rows, int64_t n, int64_t p, int64_t k,
                             int64_t j) {
  const int64_t half = p / 2, total = rows * half, step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t r = t / half, q = t % half;
    const int64_t i = r * p + 2 * j * (q / j) + q % j, l = i + j;
    const bool up = ((i - r * p) & k) == 0;
    if (padded_before(descending, n, key[l], pos[l], key[i], pos[i]) == up) {
      const T kt = key[i];
      key[i] = key[l];
      key[l] = kt;
      const int64_t pt = pos[i];
      pos[i] = pos[l];
      pos[l] = pt;
    }
  }
}

constexpr int64_t kTile = 1024;  // slots a block sorts in shared memory (16 KiB for double keys)

// The steps (k, j) for k = k_first .. k_last (doubling) and j = k / 2 .. 1, but only j < j_limit
// for k = k_first, over each tile of kTile slots (a tile holds whole rows, or part of one).
template <typename T>
__global__ void bitonic_local(bool descending, T* key, int64_t* pos, int64_t total, int64_t n, int64_t p,
                              int64_t k_first, int64_t k_last, int64_t j_limit) {
  __shared__ T sk[kTile];
  __shared__ int64_t sp[kTile];
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * kTile; base < total; base += static_cast<int64_t>(gridDim.x) * kTile) {
    const int64_t count = total - base < kTile ? total - base : kTile;  // whole rows when p < kTile
    for (int64_t s = threadIdx.x; s < count; s += blockDim.x) {
      sk[s] = key[base + s];
      sp[s] = pos[base + s];
    }
    __syncthreads();
    for (int64_t k = k_first; k <= k_last; k <<= 1) {
      for (int64_t j = (k == k_first && j_limit < k ? j_limit : k) / 2; j > 0; j >>= 1) {
        for (int64_t q = threadIdx.x; q < kTile / 2; q += blockDim.x) {
          const int64_t i = 2 * j * (q / j) + q % j, l = i + j;
          if (l >= count) continue;
          const bool up = (((base + i) % p) & k) == 0;
          if (padded_before(descending, n, sk[l], sp[l], sk[i], sp[i]) == up) {
            const T kt = sk[i];
            sk[i] = sk[l];
            sk[l] = kt;
            const int64_t pt = sp[i];
            sp[i] = sp[l];
            sp[l] = pt;
          }
        }
        __syncthreads();
      }
    }
    for (int64_t s = threadIdx.x; s < count; s += blockDim.x) {
      key[base + s] = sk[s];
      pos[base + s] = sp[s];
    }
    __syncthreads();
  }
}

// The first k slots of each sorted row (k = n for sort, k for topk).
template <typename T>
__global__ void bitonic_store(T* values, int64_t* indices, const T* key, const int64_t* pos, int64_t rows, int64_t k,
                              int64_t p) {
  const int64_t total = rows * k, step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t src = (e / k) * p + e % k;
    values[e] = key[src];
    indices[e] = pos[src];
  }
}

// One slot of each ascending-sorted row: k, or Note [Median]'s position (the NaNs are the row's
// last slots before the padding, found by a binary search).
template <typename T>
__global__ void pick_slot(T* values, int64_t* indices, const T* key, const int64_t* pos, int64_t rows, int64_t n,
                          int64_t p, int64_t k, bool median) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += step) {
    const T* row = key + r * p;
    int64_t at = k;
    if (median) {
      int64_t lo = 0, hi = n;  // the first NaN
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (sort_is_nan(row[mid])) hi = mid;
        else lo = mid + 1;
      }
      at = median_position(n, n - lo);
    }
    values[r] = row[at];
    indices[r] = pos[r * p + at];
  }
}

// Sorts every row into scratch rows of p slots (Note [Bitonic row sort]); the scratch is kept
// alive by the returned buffers until the caller's kernels have read it (stream order).
template <typename T>
std::pair<std::shared_ptr<void>, std::shared_ptr<void>> sort_into_scratch(bool descending, const T* in, int64_t rows,
                                                                          int64_t n, int64_t p) {
  cudaStream_t stream = ember::cuda::current_stream();
  const int dev = ember::cuda::current_device();
  std::shared_ptr<void> key_buf = ember::cuda::allocate(static_cast<size_t>(rows * p) * sizeof(T), dev);
  std::shared_ptr<void> pos_buf = ember::cuda::allocate(static_cast<size_t>(rows * p) * sizeof(int64_t), dev);
  auto* key = static_cast<T*>(key_buf.get());
  auto* pos = static_cast<int64_t*>(pos_buf.get());
  bitonic_load<<<grid_for(rows * p, kThreads), kThreads, 0, stream>>>(key, pos, in, rows, n, p);
  EMBER_CUDA_CHECK_LAUNCH("sort");
  const int64_t tile = std::min(kTile, p), total = rows * p;
  const unsigned tiles = grid_for(total, kTile);
  if (p > 1) {  // every merge level that fits a tile, in one launch
    bitonic_local<<<tiles, kThreads, 0, stream>>>(descending, key, pos, total, n, p, 2, tile, tile);
    EMBER_CUDA_CHECK_LAUNCH("sort");
  }
  for (int64_t k = 2 * tile; k <= p; k <<= 1) {
    for (int64_t j = k / 2; j >= tile; j >>= 1) {
      bitonic_step<<<grid_for(total / 2, kThreads), kThreads, 0, stream>>>(descending, key, pos, rows, n, p, k, j);
      EMBER_CUDA_CHECK_LAUNCH("sort");
    }
    bitonic_local<<<tiles, kThreads, 0, stream>>>(descending, key, pos, total, n, p, k, k, tile);
    EMBER_CUDA_CHECK_LAUNCH("sort");
  }
  return {key_buf, pos_buf};
}

int64_t slots_for(int64_t n) {
  int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

template <typename T>
__global__ void search_kernel(bool right, int64_t* out, const T* seq, const T* values, int64_t rows, int64_t per_row,
                              int64_t seq_len, int64_t seq_stride) {
  const int64_t total = rows * per_row, step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step)
    out[e] = search_bound(right, seq + (e / per_row) * seq_stride, seq_len, values[e]);
}

}  // namespace

void sort_rows(DType dtype, bool descending, void* values, int64_t* indices, const void* in, int64_t rows,
               int64_t n) {
  if (rows == 0 || n == 0) return;
  const int64_t p = slots_for(n);
  EMBER_DISPATCH_ALL(dtype, "sort", [&] {
    auto bufs = sort_into_scratch(descending, static_cast<const scalar_t*>(in), rows, n, p);
    bitonic_store<<<grid_for(rows * n, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(values), indices, static_cast<const scalar_t*>(bufs.first.get()),
        static_cast<const int64_t*>(bufs.second.get()), rows, n, p);
    EMBER_CUDA_CHECK_LAUNCH("sort");
  });
}

// topk and kth_rows sort whole rows (the CPU twin's partial sorts give the same answer: Note
// [Partial sorts] in kernels/cpu/sort.cpp) and copy out what they need.
void topk_rows(DType dtype, bool largest, int64_t k, void* values, int64_t* indices, const void* in, int64_t rows,
               int64_t n) {
  if (rows == 0 || k == 0) return;
  const int64_t p = slots_for(n);
  EMBER_DISPATCH_NUMERIC(dtype, "topk", [&] {
    auto bufs = sort_into_scratch(largest, static_cast<const scalar_t*>(in), rows, n, p);
    bitonic_store<<<grid_for(rows * k, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(values), indices, static_cast<const scalar_t*>(bufs.first.get()),
        static_cast<const int64_t*>(bufs.second.get()), rows, k, p);
    EMBER_CUDA_CHECK_LAUNCH("topk");
  });
}

void kth_rows(DType dtype, int64_t k, bool median, void* values, int64_t* indices, const void* in, int64_t rows,
              int64_t n) {
  if (rows == 0 || n == 0) return;
  const int64_t p = slots_for(n);
  EMBER_DISPATCH_NUMERIC(dtype, median ? "median" : "kthvalue", [&] {
    auto bufs = sort_into_scratch(false, static_cast<const scalar_t*>(in), rows, n, p);
    pick_slot<<<grid_for(rows, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        static_cast<scalar_t*>(values), indices, static_cast<const scalar_t*>(bufs.first.get()),
        static_cast<const int64_t*>(bufs.second.get()), rows, n, p, k, median);
    EMBER_CUDA_CHECK_LAUNCH(median ? "median" : "kthvalue");
  });
}

void search_sorted(DType dtype, bool right, int64_t* out, const void* seq, const void* values, int64_t rows,
                   int64_t per_row, int64_t seq_len, int64_t seq_stride) {
  if (rows == 0 || per_row == 0) return;
  EMBER_DISPATCH_NUMERIC(dtype, "searchsorted", [&] {
    search_kernel<<<grid_for(rows * per_row, kThreads), kThreads, 0, ember::cuda::current_stream()>>>(
        right, out, static_cast<const scalar_t*>(seq), static_cast<const scalar_t*>(values), rows, per_row, seq_len,
        seq_stride);
    EMBER_CUDA_CHECK_LAUNCH("searchsorted");
  });
}

}  // namespace ember::kernels::cuda
