#include "core/shape.h"

#include <limits>
#include <sstream>

#include "core/error.h"

namespace ember {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape[i] > 1 ? shape[i] : 1;
  }
  return strides;
}

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t lo = ndim > 0 ? -ndim : -1, hi = ndim > 0 ? ndim - 1 : 0;
  EMBER_CHECK(dim >= lo && dim <= hi, Index, "Dimension out of range (expected to be in range of [",
              lo, ", ", hi, "], but got ", dim, ")");
  return dim < 0 ? dim + (ndim > 0 ? ndim : 1) : dim;
}

int64_t existing_dim(int64_t dim, int64_t ndim) {
  EMBER_CHECK(ndim > 0, Index, "Dimension specified as ", dim, " but tensor has no dimensions");
  return wrap_dim(dim, ndim);
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  size_t n = a.size() > b.size() ? a.size() : b.size();
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1, Runtime, "[", op, "] shapes ", shape_str(a), " and ",
                shape_str(b), " cannot be broadcast together: the size of tensor a (", da,
                ") must match the size of tensor b (", db, ") at non-singleton dimension ", i);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void check_sizes(const char* op, const Shape& shape) {
  EMBER_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), Value, "[", op, "] at most ", kMaxDims,
              " dimensions are supported, got ", shape.size());
  int64_t n = 1;
  for (int64_t s : shape) {
    EMBER_CHECK(s >= 0, Runtime, "[", op, "] Trying to create tensor with negative dimension ", s, ": ",
                shape_str(shape));
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s)
      fail(ErrorKind::Memory, "[", op, "] size ", shape_str(shape), " has too many elements");
    n *= s;
  }
}

}  // namespace ember
