#include "core/shape.h"

#include <sstream>

#include "core/checked_arith.h"
#include "core/error.h"

namespace ember {

std::optional<int64_t> try_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape)
    if (mul_overflows(n, s, &n)) return std::nullopt;
  return n;
}

int64_t shape_numel(const Shape& shape, const char* op) {
  std::optional<int64_t> n = try_numel(shape);
  if (!n) fail(ErrorKind::Runtime, "[", op, "] numel: integer multiplication overflow: size ", shape_str(shape));
  return *n;
}

Shape contiguous_strides(const Shape& shape, const char* op) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    // The last stride is never used to step, so only the ones handed out must fit (as PyTorch).
    if (i > 0 && mul_overflows(stride, shape[i] > 1 ? shape[i] : 1, &stride))
      fail(ErrorKind::Runtime, "[", op, "] Stride calculation overflowed: size ", shape_str(shape));
  }
  return strides;
}

int64_t contiguous_nbytes(const char* op, const Shape& shape, int64_t itemsize) {
  std::optional<int64_t> n = try_numel(shape);
  int64_t nbytes = 0;
  if (!n || mul_overflows(*n, itemsize, &nbytes))
    fail(ErrorKind::Runtime, "[", op, "] Storage size calculation overflowed with sizes=", shape_str(shape));
  return nbytes;
}

int64_t strided_nbytes(const char* op, const Shape& sizes, const Shape& strides, int64_t offset, int64_t itemsize) {
  for (int64_t s : sizes)
    if (s == 0) return 0;
  int64_t elems = 0;  // one past the last element reached
  bool overflow = add_overflows(offset, 1, &elems);
  for (size_t d = 0; d < sizes.size() && !overflow; ++d) {
    int64_t span = 0;
    overflow = mul_overflows(sizes[d] - 1, strides[d], &span) || add_overflows(elems, span, &elems);
  }
  int64_t nbytes = 0;
  if (overflow || mul_overflows(elems, itemsize, &nbytes))
    fail(ErrorKind::Runtime, "[", op, "] Storage size calculation overflowed with sizes=", shape_str(sizes),
         " and strides=", shape_str(strides), " at storage offset ", offset);
  return nbytes;
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

void check_dims(const char* op, const Shape& shape) {
  EMBER_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), Value, "[", op, "] at most ", kMaxDims,
              " dimensions are supported, got ", shape.size());
  for (int64_t s : shape)
    EMBER_CHECK(s >= 0, Runtime, "[", op, "] Trying to create tensor with negative dimension ", s, ": ",
                shape_str(shape));
}

void check_sizes(const char* op, const Shape& shape) {
  check_dims(op, shape);
  shape_numel(shape, op);
}

}  // namespace ember
