// Where the gather/scatter and indexing kernels read and write: element -> offset arithmetic as
// EMBER_HD functions, so the CPU kernels (kernels/cpu/index.cpp) and their CUDA twins
// (kernels/cuda/index.cu) compute the same offsets, and the CPU tests exercise that arithmetic.
// The CPU kernels call these once per row and step along the row with a stride; a CUDA thread
// calls them once per element.
#pragma once
#include <cstdint>

#include "core/shape.h"
#include "kernels/functors.h"

namespace ember::kernels {

// Offset of element `linear` (row-major over `sizes`) in a tensor with `strides`.
EMBER_HD inline int64_t strided_offset(int ndim, const int64_t* sizes, const int64_t* strides, int64_t linear) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    off += (linear % sizes[d]) * strides[d];
    linear /= sizes[d];
  }
  return off;
}

// A strided block of memory as plain numbers, small enough to pass to a CUDA kernel by value
// (the kernels' signatures carry host pointers to sizes, which the device cannot read).
// Size-1 dims are dropped (their coordinate is always 0), so the CPU loops' rows are as long as
// they can be and a CUDA thread divides once per remaining dim.
struct StridedBlock {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims];
};

// The block of `sizes`/`strides`, with the stride of `zero_dim` (if any) taken as 0.
inline StridedBlock make_block(int ndim, const int64_t* sizes, const int64_t* strides, int zero_dim = -1) {
  StridedBlock b;
  for (int d = 0; d < ndim; ++d) {
    b.numel *= sizes[d];
    if (sizes[d] == 1) continue;
    b.sizes[b.ndim] = sizes[d];
    b.strides[b.ndim++] = d == zero_dim ? 0 : strides[d];
  }
  return b;
}

EMBER_HD inline int64_t block_offset(const StridedBlock& b, int64_t linear) {
  return strided_offset(b.ndim, b.sizes, b.strides, linear);
}

// gather/scatter_add: element k of the index-shaped loop is at block_offset(loop, k) +
// index[k] * dim_stride in the tensor indexed along dim (index and values are contiguous over
// the loop, so at k there).
struct DimIndexShape {
  StridedBlock loop;  // the index's shape, the other tensor's strides, 0 along dim
  int64_t dim_size;   // indices lie in [0, dim_size)
  int64_t dim_stride;
};

// The coordinates of element `linear` of a row-major block with `sizes` (nonzero's output rows).
EMBER_HD inline void unravel_index(int ndim, const int64_t* sizes, int64_t linear, int64_t* coords) {
  for (int d = ndim - 1; d >= 0; --d) {
    coords[d] = linear % sizes[d];
    linear /= sizes[d];
  }
}

// index_select/index_add see their tensors as contiguous [outer, rows, inner] blocks: element
// (o, row, i) is at this offset.
EMBER_HD inline int64_t row_offset(int64_t o, int64_t row, int64_t rows, int64_t inner, int64_t i) {
  return (o * rows + row) * inner + i;
}

// The (o, j, i) of element e of an [outer, n, inner] block (n, inner > 0).
EMBER_HD inline void split_rows(int64_t e, int64_t n, int64_t inner, int64_t& o, int64_t& j, int64_t& i) {
  i = e % inner;
  e /= inner;
  j = e % n;
  o = e / n;
}

// Python's advanced indexing turns k index tensors (broadcast to one shape, contiguous) into one
// offset per element: sum over terms of wrap(index_t[e]) * mult_t, where a negative index counts
// from the end of its dim (Note [How indexing runs], ops/indexing.cpp).
struct IndexTerms {
  int count = 0;
  const int64_t* index[kMaxDims];
  int64_t size[kMaxDims];  // size of the indexed dim: indices lie in [-size, size)
  int64_t mult[kMaxDims];  // what one step along the dim is worth in the combined offset
  int64_t dim[kMaxDims];   // the dim, for the error message
};

// Writes element e's combined offset to `out` and returns -1, or returns the first term whose
// index is out of range (out is then unspecified).
EMBER_HD inline int combine_index(const IndexTerms& t, int64_t e, int64_t& out) {
  int64_t acc = 0;
  for (int k = 0; k < t.count; ++k) {
    int64_t v = t.index[k][e];
    const int64_t size = t.size[k];
    if (v < -size || v >= size) return k;
    if (v < 0) v += size;
    acc += v * t.mult[k];
  }
  out = acc;
  return -1;
}

// Note [nonzero in chunks]: nonzero splits its mask into nonzero_blocks(n) chunks of
// nonzero_chunk(n) elements. Counting gives each chunk its first output row (an exclusive scan
// of the chunk counts), so the chunks then write their coordinates independently and in order:
// a CUDA block per chunk, one pass on the CPU. The workspace is nonzero_blocks(n) + 1 int64s.
constexpr int64_t kNonzeroMaxBlocks = 1024;
constexpr int64_t kNonzeroMinChunk = 4096;

EMBER_HD inline int64_t nonzero_chunk(int64_t n) {
  const int64_t even = (n + kNonzeroMaxBlocks - 1) / kNonzeroMaxBlocks;
  return even > kNonzeroMinChunk ? even : kNonzeroMinChunk;
}

EMBER_HD inline int64_t nonzero_blocks(int64_t n) {
  const int64_t chunk = nonzero_chunk(n);
  return (n + chunk - 1) / chunk;
}

}  // namespace ember::kernels
