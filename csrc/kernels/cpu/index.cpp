#include "kernels/cpu/index.h"

#include <cstring>

namespace ember::kernels::cpu {

namespace {

// Calls f(k, base) for each element k of the index-shaped loop, where base is the offset in the
// other tensor of the element's coordinates with the `dim` coordinate left out.
template <typename F>
void for_each_index(const DimIndexLoop& l, F&& f) {
  int64_t numel = 1;
  for (int d = 0; d < l.ndim; ++d) numel *= l.sizes[d];
  int64_t coord[16] = {0};
  int64_t base = 0;
  for (int64_t k = 0; k < numel; ++k) {
    f(k, base);
    for (int d = l.ndim - 1; d >= 0; --d) {
      int64_t step = d == l.dim ? 0 : l.other_strides[d];
      if (++coord[d] < l.sizes[d]) {
        base += step;
        break;
      }
      base -= step * (l.sizes[d] - 1);
      coord[d] = 0;
    }
  }
}

template <typename F>
void dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int64: return f(int64_t{});
    case DType::Bool: return f(bool{});
  }
}

}  // namespace

void gather(DType dtype, void* out, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(out);
    const T* s = static_cast<const T*>(src);
    int64_t dstride = loop.other_strides[loop.dim];
    for_each_index(loop, [&](int64_t k, int64_t base) { o[k] = s[base + index[k] * dstride]; });
  });
}

void scatter_add(DType dtype, void* self, const void* src, const int64_t* index, const DimIndexLoop& loop) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(self);
    const T* s = static_cast<const T*>(src);
    int64_t dstride = loop.other_strides[loop.dim];
    for_each_index(loop, [&](int64_t k, int64_t base) { o[base + index[k] * dstride] += s[k]; });
  });
}

void index_select(DType dtype, void* out, const void* src, const int64_t* index, int64_t n, int64_t outer,
                  int64_t src_n, int64_t inner) {
  size_t row = static_cast<size_t>(inner) * itemsize(dtype);
  char* o = static_cast<char*>(out);
  const char* s = static_cast<const char*>(src);
  for (int64_t i = 0; i < outer; ++i)
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(o + (i * n + j) * row, s + (i * src_n + index[j]) * row, row);
}

void index_add(DType dtype, void* self, const void* src, const int64_t* index, int64_t n, int64_t outer,
               int64_t self_n, int64_t inner) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* o = static_cast<T*>(self);
    const T* s = static_cast<const T*>(src);
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T* dst = o + (i * self_n + index[j]) * inner;
        const T* from = s + (i * n + j) * inner;
        for (int64_t e = 0; e < inner; ++e) dst[e] += from[e];
      }
  });
}

void put_rows(DType dtype, void* dst, const void* src, const int64_t* offsets, int64_t n, int rest_ndim,
              const int64_t* rest_sizes, const int64_t* rest_strides) {
  dispatch(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    int64_t rest = 1;
    for (int i = 0; i < rest_ndim; ++i) rest *= rest_sizes[i];
    for (int64_t r = 0; r < n; ++r) {
      int64_t coord[16] = {0};
      int64_t off = offsets[r];
      for (int64_t e = 0; e < rest; ++e) {
        d[off] = *s++;
        for (int i = rest_ndim - 1; i >= 0; --i) {
          if (++coord[i] < rest_sizes[i]) {
            off += rest_strides[i];
            break;
          }
          off -= rest_strides[i] * (rest_sizes[i] - 1);
          coord[i] = 0;
        }
      }
    }
  });
}

int64_t nonzero(const bool* mask, int ndim, const int64_t* sizes, int64_t* out) {
  int64_t numel = 1;
  for (int d = 0; d < ndim; ++d) numel *= sizes[d];
  int64_t coord[16] = {0};
  int64_t count = 0;
  for (int64_t k = 0; k < numel; ++k) {
    if (mask[k]) {
      if (out)
        for (int d = 0; d < ndim; ++d) out[count * ndim + d] = coord[d];
      ++count;
    }
    for (int d = ndim - 1; d >= 0; --d) {
      if (++coord[d] < sizes[d]) break;
      coord[d] = 0;
    }
  }
  return count;
}

}  // namespace ember::kernels::cpu
