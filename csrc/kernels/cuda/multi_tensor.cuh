// Multi-tensor launches (Note [Multi-tensor chunks]): one kernel launch works on up to
// kMaxTensorsPerLaunch tensors of a list. The tensors' pointers and lengths travel in a
// fixed-size struct passed BY VALUE as the kernel's argument (it lands in the constant bank), so
// no pointer table is copied to the device and nothing waits. Block b works on one chunk of
// kOptimChunk elements of one tensor: tensor t owns blocks [block_end[t-1], block_end[t]).
// A longer list is cut into several launches.
#pragma once
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "core/cuda/cuda_check.h"
#include "core/error.h"
#include "kernels/optim_args.h"

namespace ember::kernels::cuda {

constexpr int kMultiTensorThreads = 256;
constexpr int kMaxTensorsPerLaunch = 32;

// Depth: how many lists (param, grad, states...). With Depth 5 the struct is about 2.3 KB,
// inside the 4 KB every architecture accepts as kernel arguments.
template <int Depth>
struct TensorChunks {
  void* ptr[Depth][kMaxTensorsPerLaunch];
  int64_t n[kMaxTensorsPerLaunch];
  int64_t block_end[kMaxTensorsPerLaunch];
  double scalar[2][kMaxTensorsPerLaunch];    // per-tensor scalars (Adam's step size, SGD's first step)
  int64_t first_chunk[kMaxTensorsPerLaunch];  // the tensor's first chunk in the whole list (norm partials)
};

// The tensor that block `block` works on, and which of its chunks. The scan reads the argument
// struct, the same for every thread of the block.
template <int Depth>
__device__ __forceinline__ int tensor_of_block(const TensorChunks<Depth>& m, int64_t block, int64_t& chunk) {
  int t = 0;
  while (block >= m.block_end[t]) ++t;
  chunk = block - (t > 0 ? m.block_end[t - 1] : 0);
  return t;
}

// Fills TensorChunks from a list and launches whenever it is full. set(m, k, i) writes list
// entry i into slot k of m (its pointers and scalars) and returns its length; empty tensors are
// skipped. launch(m, blocks) queues one kernel over `blocks` blocks.
template <int Depth, class Set, class Launch>
void for_each_launch(size_t count, Set set, Launch launch) {
  TensorChunks<Depth> m{};
  int k = 0;
  int64_t blocks = 0, chunk = 0;
  for (size_t i = 0; i < count; ++i) {
    int64_t n = set(m, k, i);
    if (n == 0) continue;  // slot k is overwritten by the next tensor
    m.n[k] = n;
    m.first_chunk[k] = chunk;
    chunk += chunks_of(n);
    blocks += chunks_of(n);
    m.block_end[k] = blocks;
    if (++k == kMaxTensorsPerLaunch) {
      EMBER_CHECK(blocks <= INT_MAX, Runtime, "[multi_tensor] too many elements for one launch: ", blocks, " blocks");
      launch(m, blocks);
      k = 0;
      blocks = 0;
    }
  }
  if (k > 0) {
    EMBER_CHECK(blocks <= INT_MAX, Runtime, "[multi_tensor] too many elements for one launch: ", blocks, " blocks");
    launch(m, blocks);
  }
}

// The element range [lo, hi) of a block's chunk.
struct ChunkRange {
  int64_t lo, hi;
};
__device__ __forceinline__ ChunkRange chunk_range(int64_t n, int64_t chunk) {
  int64_t lo = chunk * kOptimChunk;
  int64_t hi = lo + kOptimChunk < n ? lo + kOptimChunk : n;
  return {lo, hi};
}

}  // namespace ember::kernels::cuda
