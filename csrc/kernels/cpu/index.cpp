#include "kernels/index.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace ember::kernels::cpu {

namespace {

// Calls f(k, offset) for each element k of the block, in order. The offset of the first element
// of each plane of the last two dims comes from the arithmetic the CUDA twins use per element
// (block_offset); within the plane it only steps, so short rows cost no divisions.
template <typename F>
void for_each_offset(const StridedBlock& b, F&& f) {
  if (b.numel == 0) return;
  if (b.ndim == 0) return f(int64_t(0), int64_t(0));
  const int last = b.ndim - 1;
  const int64_t len = b.sizes[last], step = b.strides[last];
  const int64_t rows = last > 0 ? b.sizes[last - 1] : 1, row_step = last > 0 ? b.strides[last - 1] : 0;
  for (int64_t plane = 0; plane < b.numel; plane += rows * len) {
    int64_t row_start = block_offset(b, plane), k = plane;
    for (int64_t r = 0; r < rows; ++r, row_start += row_step)
      for (int64_t i = 0, off = row_start; i < len; ++i, ++k, off += step) f(k, off);
  }
}

template <typename F>
void dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    case DType::Int32: return f(int32_t{});
    case DType::Bool: return f(bool{});
  }
}

}  // namespace

void gather(DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(out);
    const T* from = static_cast<const T*>(src);
    for_each_offset(s.loop, [&](int64_t k, int64_t base) { o[k] = from[base + index[k] * s.dim_stride]; });
  });
}

void scatter_add(DType dtype, void* self, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(self);
    const T* from = static_cast<const T*>(src);
    for_each_offset(s.loop, [&](int64_t k, int64_t base) { o[base + index[k] * s.dim_stride] += from[k]; });
  });
}

void scatter_reduce(DType dtype, ScatterReduce op, void* self, const void* src, const int64_t* index,
                    const DimIndexLoop& loop) {
  const DimIndexShape s = dim_index_shape(loop);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(self);
    const T* from = static_cast<const T*>(src);
    for_each_offset(s.loop, [&](int64_t k, int64_t base) {
      T& dst = o[base + index[k] * s.dim_stride];
      dst = scatter_combine(op, dst, from[k]);
    });
  });
}

void index_select(DType dtype, void* out, const void* src, const int64_t* index, int64_t n, int64_t outer,
                  int64_t src_n, int64_t inner) {
  const size_t item = itemsize(dtype), row = static_cast<size_t>(inner) * item;
  char* o = static_cast<char*>(out);
  const char* s = static_cast<const char*>(src);
  for (int64_t i = 0; i < outer; ++i)
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(o + row_offset(i, j, n, inner, 0) * item, s + row_offset(i, index[j], src_n, inner, 0) * item, row);
}

void index_add(DType dtype, void* self, const void* src, const int64_t* index, int64_t n, int64_t outer,
               int64_t self_n, int64_t inner) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(self);
    const T* s = static_cast<const T*>(src);
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T* dst = o + row_offset(i, index[j], self_n, inner, 0);
        const T* from = s + row_offset(i, j, n, inner, 0);
        for (int64_t e = 0; e < inner; ++e) dst[e] += from[e];
      }
  });
}

void put_rows(DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n, int rest_ndim,
              const int64_t* rest_sizes, const int64_t* rest_strides) {
  const StridedBlock rest = make_block(rest_ndim, rest_sizes, rest_strides);
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    for (int64_t r = 0; r < n; ++r) {
      T* row_dst = d + offsets[r];
      const T* row_src = s + r * rest.numel;
      for_each_offset(rest, [&](int64_t k, int64_t off) { row_dst[off] = row_src[k]; });
    }
  });
}

void combine_indices(int64_t* out, const IndexTerms& terms, int64_t n) {
  for (int64_t e = 0; e < n; ++e) {
    const int bad = combine_index(terms, e, out[e]);
    EMBER_CHECK(bad < 0, Index, "index ", terms.index[bad][e], " is out of bounds for dimension ", terms.dim[bad],
                " with size ", terms.size[bad]);
  }
}

int64_t nonzero_count(const bool* mask, int64_t n, int64_t* offsets) {
  const int64_t blocks = nonzero_blocks(n), chunk = nonzero_chunk(n);
  int64_t total = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    offsets[b] = total;
    for (int64_t k = b * chunk, end = std::min(n, k + chunk); k < end; ++k) total += mask[k];
  }
  offsets[blocks] = total;
  return total;
}

void nonzero_fill(const bool* mask, int ndim, const int64_t* sizes, const int64_t* offsets, int64_t* out) {
  int64_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= sizes[d];
  const int64_t blocks = nonzero_blocks(n), chunk = nonzero_chunk(n);
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t row = offsets[b];
    for (int64_t k = b * chunk, end = std::min(n, k + chunk); k < end; ++k)
      if (mask[k]) unravel_index(ndim, sizes, k, out + ndim * row++);
  }
}

}  // namespace ember::kernels::cpu
