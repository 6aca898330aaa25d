// as_strided: a view with sizes, strides and a storage offset given outright, checked against the
// storage it reads (Note [Checked size arithmetic]), and its backward.
#include <algorithm>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// The storage position (in elements) of every element of the geometry (sizes, strides, offset),
// as an int64 tensor of `sizes`: offset + sum_d i_d * stride_d, built by broadcasting one arange
// per dim.
Tensor storage_positions(const Shape& sizes, const Shape& strides, int64_t offset, Device device) {
  Tensor pos = full({}, Scalar{static_cast<double>(offset), ScalarKind::Int}, DType::Int64, device);
  const size_t n = sizes.size();
  for (size_t d = 0; d < n; ++d) {
    Shape along(n, 1);
    along[d] = sizes[d];
    Tensor steps = arange(0, static_cast<double>(sizes[d]), 1, DType::Int64, device);
    steps = binary(BinaryOp::Mul, steps, Scalar{static_cast<double>(strides[d]), ScalarKind::Int});
    pos = binary(BinaryOp::Add, pos, reshape(steps, along));
  }
  return expand(pos, sizes);
}

// Whether two elements of the geometry might share a storage position: false only when, with the
// dims sorted by stride, each stride steps past everything the smaller ones reach (PyTorch's
// test for its as_strided backward). A "maybe" costs a division, never a wrong gradient.
bool maybe_overlapping(const Shape& sizes, const Shape& strides) {
  std::vector<size_t> dims;
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] > 1) dims.push_back(d);
  std::sort(dims.begin(), dims.end(), [&](size_t a, size_t b) { return strides[a] < strides[b]; });
  int64_t reach = 0;  // the furthest position past the first that the smaller dims reach
  for (size_t d : dims) {
    if (strides[d] <= reach) return true;
    reach += (sizes[d] - 1) * strides[d];  // within the storage, which was checked to fit
  }
  return false;
}

// Note [as_strided backward]: the view reads storage positions; its gradient is summed into a
// flat buffer over those positions (a position read twice gets both gradients), and the input's
// gradient is read back from that buffer at the positions the input itself covers. Where the
// input's elements alias each other, the buffer's value is shared among them, so their gradients
// still sum to it (as PyTorch). Written with index_add/index_select, so it is differentiable.
Tensor as_strided_backward(const Tensor& g, const Shape& in_sizes, const Shape& in_strides, int64_t in_offset,
                           const Shape& sizes, const Shape& strides, int64_t offset) {
  const int64_t base = std::min(in_offset, offset);
  const int64_t extent = std::max(strided_nbytes("as_strided", in_sizes, in_strides, in_offset, 1),
                                  strided_nbytes("as_strided", sizes, strides, offset, 1)) - base;
  if (extent <= 0) return zeros(in_sizes, g.dtype(), g.device());
  Tensor out_pos = storage_positions(sizes, strides, offset - base, g.device());
  Tensor in_pos = reshape(storage_positions(in_sizes, in_strides, in_offset - base, g.device()), {-1});
  Tensor flat = index_add(zeros({extent}, g.dtype(), g.device()), 0, reshape(out_pos, {-1}), reshape(g, {-1}));
  Tensor grad = index_select(flat, 0, in_pos);
  if (maybe_overlapping(in_sizes, in_strides)) {
    Tensor ones_in = ones({in_pos.numel()}, g.dtype(), g.device());
    Tensor count = index_add(zeros({extent}, g.dtype(), g.device()), 0, in_pos, ones_in);
    grad = grad / index_select(count, 0, in_pos);
  }
  return reshape(grad, in_sizes);
}

}  // namespace

Tensor as_strided(const Tensor& t, const Shape& sizes, const Shape& strides, std::optional<int64_t> storage_offset) {
  EMBER_CHECK(sizes.size() == strides.size(), Runtime, "[as_strided] mismatch in length of strides and shape: size ",
              shape_str(sizes), ", stride ", shape_str(strides));
  check_dims("as_strided", sizes);
  for (int64_t s : strides)
    EMBER_CHECK(s >= 0, Runtime, "[as_strided] Negative strides are not supported at the moment, got strides: ",
                shape_str(strides));
  const int64_t offset = storage_offset ? *storage_offset : t->offset();
  EMBER_CHECK(offset >= 0, Runtime, "[as_strided] Tensor: invalid storage offset ", offset);
  // The view may reach anywhere in the storage, but not past it.
  const int64_t elem_bytes = static_cast<int64_t>(itemsize(t.dtype()));
  const int64_t need = strided_nbytes("as_strided", sizes, strides, offset, elem_bytes);
  const int64_t have = static_cast<int64_t>(t->storage()->nbytes());
  EMBER_CHECK(need <= have, Runtime, "[as_strided] setStorage: sizes ", shape_str(sizes), ", strides ",
              shape_str(strides), ", storage offset ", offset, ", and itemsize ", elem_bytes,
              " requiring a storage size of ", need, " are out of bounds for storage of size ", have);
  Tensor out = make_view(t, sizes, strides, offset);
  if (autograd::needs_grad(t)) {
    Shape in_sizes = t.sizes(), in_strides = t.strides();
    const int64_t in_offset = t->offset();
    autograd::record("AsStridedBackward0", {out}, {t}, {}, [=](const BackwardArgs& c) -> tensor_list {
      return {as_strided_backward(c.grad(), in_sizes, in_strides, in_offset, sizes, strides, offset)};
    });
  }
  return out;
}

}  // namespace ember
