// Views that pick part of a dim (slice, select, narrow) and the ops that gather or scatter
// along one dim by an int64 index (gather/scatter_add, index_select/index_add). Each pair is
// the other's backward, so gradients of gradients stay in ember ops.
#include <algorithm>
#include <string_view>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "core/checked_arith.h"
#include "kernels/dispatch.h"
#include "kernels/index.h"
#include "ops/index_util.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// Python's slice clamping: negative counts from the end, then clipped into [0, size].
int64_t clamp_slice_bound(int64_t v, int64_t size) {
  if (v < 0) v += size;
  return std::min(std::max<int64_t>(v, 0), size);
}

// The view of t's memory selected by a slice, without autograd.
Tensor slice_view(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  Shape sizes = t.sizes(), strides = t.strides();
  int64_t len = stop > start ? ceil_div(stop - start, step) : 0;
  int64_t offset = t->offset() + (len > 0 ? start * strides[dim] : 0);
  sizes[dim] = len;
  // stride * step overflows only when it is never stepped: a huge step leaves one element, or the
  // tensor has none (Note [Checked size arithmetic]); then any stride describes the same view.
  int64_t stepped = 0;
  if (!mul_overflows(strides[dim], step, &stepped)) strides[dim] = stepped;
  return make_view(t, sizes, strides, offset);
}

Tensor select_view(const Tensor& t, int64_t dim, int64_t index) {
  Shape sizes = t.sizes(), strides = t.strides();
  int64_t offset = t->offset() + index * strides[dim];
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(t, sizes, strides, offset);
}

}  // namespace

// ---- shared with scatter_reduce.cpp (ops/index_util.h)

// Checks every value of an int64 index lies in [0, size) (no wrapping, as PyTorch's gather).
// The error is PyTorch's: IndexError from index_select, RuntimeError from gather, scatter_add and
// index_add. On the CPU only: a CUDA kernel checks its indices itself (Note [Errors found by
// kernels]; an IndexError at the next sync), so the host never waits for the device to read them.
void check_index_range(const char* op, const Tensor& index, int64_t dim, int64_t size) {
  if (!index.device().is_cpu()) return;
  const int64_t* p = index.data<int64_t>();
  int64_t bad = -1;
  for (int64_t k = 0, n = index.numel(); k < n && bad < 0; ++k)
    if (p[k] < 0 || p[k] >= size) bad = k;
  if (bad < 0) return;
  const bool index_error = std::string_view(op) == "index_select";
  EMBER_CHECK(!index_error, Index, "[", op, "] index ", p[bad], " is out of bounds for dimension ", dim,
              " with size ", size);
  EMBER_CHECK(false, Runtime, "[", op, "] index ", p[bad], " is out of bounds for dimension ", dim, " with size ",
              size);
}

// As PyTorch, an index may be int64 or int32; the kernels read int64, so int32 is widened here.
Tensor checked_index(const char* op, const Tensor& index) {
  EMBER_CHECK(is_integral(index.dtype()), Runtime, "[", op, "] expected an int64 or int32 index, got ",
              dtype_name(index.dtype()));
  if (index.dtype() == DType::Int32) return to_dtype(index, DType::Int64);
  return index.is_contiguous() ? index : contiguous_clone(index);
}

void check_dim_index(const char* op, const Tensor& t, int64_t dim, const Tensor& index, const Tensor& values) {
  EMBER_CHECK(index.dim() == t.dim() || (t.dim() == 0 && index.dim() <= 1), Runtime, "[", op,
              "] index tensor must have the same number of dimensions as input tensor, got ", index.dim(), " and ",
              t.dim());
  for (int64_t d = 0; d < index.dim(); ++d) {
    EMBER_CHECK(d == dim || index.sizes()[d] <= t.sizes()[d], Runtime, "[", op, "] size of index ",
                shape_str(index.sizes()), " does not fit input of shape ", shape_str(t.sizes()), " at dimension ", d);
    EMBER_CHECK(!values.defined() || index.sizes()[d] <= values.sizes()[d], Runtime, "[", op, "] size of index ",
                shape_str(index.sizes()), " does not fit src of shape ", shape_str(values.sizes()), " at dimension ", d);
  }
}

Tensor index_shaped_block(const Tensor& src, const Tensor& index) {
  Tensor block = src;
  for (int64_t d = 0; d < index.dim(); ++d) block = slice_view(block, d, 0, index.sizes()[d], 1);
  return contiguous_clone(block);
}

Tensor pad_to_shape(const Tensor& g, const Shape& shape) {
  Tensor out = g;
  for (int64_t d = 0; d < out.dim(); ++d) {
    if (out.sizes()[d] == shape[d]) continue;
    Shape padded = out.sizes();
    padded[d] = shape[d];
    out = slice_backward(out, padded, d, 0, out.sizes()[d], 1);
  }
  return out;
}

kernels::DimIndexLoop dim_index_loop(const Tensor& out, int64_t dim, const Tensor& index, Shape& sizes, Shape& strides) {
  sizes = index.dim() ? index.sizes() : Shape{1};
  strides = out.dim() ? out.strides() : Shape{1};
  return {static_cast<int>(sizes.size()), static_cast<int>(dim), sizes.data(), strides.data(),
          out.dim() == 0 ? 1 : out.sizes()[dim]};
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  EMBER_CHECK(t.dim() > 0, Index, "[slice] cannot slice a 0-d tensor");
  EMBER_CHECK(step > 0, Value, "[slice] step must be greater than zero, got ", step);
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  start = clamp_slice_bound(start, size);
  stop = std::max(clamp_slice_bound(stop, size), start);
  Tensor out = slice_view(t, dim, start, stop, step);
  if (autograd::needs_grad(t)) {
    Shape s = t.sizes();
    autograd::record("SliceBackward0", {out}, {t}, {}, [s, dim, start, stop, step](const BackwardArgs& c) -> tensor_list {
      return {slice_backward(c.grad(), s, dim, start, stop, step)};
    });
  }
  return out;
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  EMBER_CHECK(t.dim() > 0, Index, "[select] select() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  EMBER_CHECK(index >= -size && index < size, Index, "index ", index, " is out of bounds for dimension ", dim,
              " with size ", size);
  if (index < 0) index += size;
  Tensor out = select_view(t, dim, index);
  if (autograd::needs_grad(t)) {
    Shape s = t.sizes();
    autograd::record("SelectBackward0", {out}, {t}, {}, [s, dim, index](const BackwardArgs& c) -> tensor_list {
      return {select_backward(c.grad(), s, dim, index)};
    });
  }
  return out;
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  EMBER_CHECK(t.dim() > 0, Index, "[narrow] narrow() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  EMBER_CHECK(start >= -size && start <= size, Index, "[narrow] start out of range (expected to be in range of [",
              -size, ", ", size, "], but got ", start, ")");
  if (start < 0) start += size;
  EMBER_CHECK(length >= 0 && length <= size - start, Runtime, "[narrow] start (", start, ") + length (", length,
              ") exceeds dimension size (", size, ").");
  return slice(t, dim, start, start + length, 1);
}

Tensor slice_backward(const Tensor& g, const Shape& sizes, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  Tensor out = zeros(sizes, g.dtype(), g.device());
  copy_into(slice_view(out, dim, start, stop, step), g);
  if (autograd::needs_grad(g))
    autograd::record("SliceBackwardBackward0", {out}, {g}, {}, [dim, start, stop, step](const BackwardArgs& c) -> tensor_list {
      return {slice(c.grad(), dim, start, stop, step)};
    });
  return out;
}

Tensor select_backward(const Tensor& g, const Shape& sizes, int64_t dim, int64_t index) {
  Tensor out = zeros(sizes, g.dtype(), g.device());
  copy_into(select_view(out, dim, index), g);
  if (autograd::needs_grad(g))
    autograd::record("SelectBackwardBackward0", {out}, {g}, {}, [dim, index](const BackwardArgs& c) -> tensor_list {
      return {select(c.grad(), dim, index)};
    });
  return out;
}

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  check_same_device("gather", t, index);
  Tensor idx = checked_index("gather", index);
  dim = wrap_dim(dim, std::max<int64_t>(t.dim(), 1));
  check_dim_index("gather", t, dim, idx, Tensor());
  const int64_t dim_size = t.dim() == 0 ? 1 : t.sizes()[dim];
  check_index_range("gather", idx, dim, dim_size);
  Tensor out = empty(idx.sizes(), t.dtype(), t.device());
  Shape sizes = idx.dim() ? idx.sizes() : Shape{1}, strides = t.dim() ? t.strides() : Shape{1};
  kernels::DimIndexLoop loop{static_cast<int>(sizes.size()), static_cast<int>(dim), sizes.data(), strides.data(),
                             dim_size};
  EMBER_DISPATCH_KERNEL(out.device(), gather, t.dtype(), out.raw_data(), t.raw_data(), typed_ptr<int64_t>(idx), loop);
  if (autograd::needs_grad(t)) {
    Shape s = t.sizes();
    autograd::record("GatherBackward0", {out}, {t}, {idx}, [s, dim](const BackwardArgs& c) -> tensor_list {
      return {scatter_add(zeros(s, c.grad().dtype(), c.grad().device()), dim, c.saved[0], c.grad())};
    });
  }
  return out;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_same_device("scatter_add", self, index);
  check_same_device("scatter_add", self, src);
  EMBER_CHECK(self.dtype() == src.dtype(), Runtime, "[scatter_add] expected self and src to have the same dtype, got ",
              dtype_name(self.dtype()), " and ", dtype_name(src.dtype()));
  Tensor idx = checked_index("scatter_add", index);
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  check_dim_index("scatter_add", self, dim, idx, src);
  const int64_t dim_size = self.dim() == 0 ? 1 : self.sizes()[dim];
  check_index_range("scatter_add", idx, dim, dim_size);
  Tensor out = contiguous_clone(self);
  // The kernel reads src over the index's shape, so give it exactly that block, contiguous.
  Tensor block = index_shaped_block(src, idx);
  Shape sizes, strides;
  kernels::DimIndexLoop loop = dim_index_loop(out, dim, idx, sizes, strides);
  EMBER_DISPATCH_KERNEL(out.device(), scatter_add, out.dtype(), out.raw_data(), block.raw_data(),
                        typed_ptr<int64_t>(idx), loop);
  if (autograd::needs_grad(self, src)) {
    Shape src_shape = src.sizes();
    autograd::record("ScatterAddBackward0", {out}, {self, src}, {idx}, [dim, src_shape](const BackwardArgs& c) -> tensor_list {
      // d/dsrc picks the gradient where each src element landed; src may be larger than the
      // index in some dims: those elements did not land anywhere.
      Tensor gsrc = c.needs[1] ? pad_to_shape(gather(c.grad(), dim, c.saved[0]), src_shape) : Tensor();
      return {c.needs[0] ? c.grad() : Tensor(), gsrc};
    });
  }
  return out;
}

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  check_same_device("index_select", t, index);
  EMBER_CHECK(index.dim() <= 1, Index, "[index_select] index must be a 1-D tensor, got ", index.dim(), "-D");
  Tensor idx = checked_index("index_select", index);
  dim = wrap_dim(dim, std::max<int64_t>(t.dim(), 1));
  int64_t size = t.dim() ? t.sizes()[dim] : 1;
  check_index_range("index_select", idx, dim, size);
  Tensor src = t.is_contiguous() ? t : contiguous_clone(t);
  Shape out_shape = t.sizes();
  if (t.dim()) out_shape[dim] = idx.numel();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < t.dim(); ++d) (d < dim ? outer : inner) *= d == dim ? 1 : t.sizes()[d];
  Tensor out = empty(out_shape, t.dtype(), t.device());
  EMBER_DISPATCH_KERNEL(out.device(), index_select, t.dtype(), out.raw_data(), src.raw_data(), typed_ptr<int64_t>(idx),
                        idx.numel(), outer, size, inner);
  if (autograd::needs_grad(t)) {
    Shape s = t.sizes();
    autograd::record("IndexSelectBackward0", {out}, {t}, {idx}, [s, dim](const BackwardArgs& c) -> tensor_list {
      return {index_add(zeros(s, c.grad().dtype(), c.grad().device()), dim, c.saved[0], c.grad())};
    });
  }
  return out;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_same_device("index_add", self, index);
  check_same_device("index_add", self, src);
  EMBER_CHECK(self.dtype() == src.dtype(), Runtime, "[index_add] expected self and src to have the same dtype, got ",
              dtype_name(self.dtype()), " and ", dtype_name(src.dtype()));
  EMBER_CHECK(index.dim() <= 1, Index, "[index_add] index must be a 1-D tensor, got ", index.dim(), "-D");
  Tensor idx = checked_index("index_add", index);
  dim = wrap_dim(dim, std::max<int64_t>(self.dim(), 1));
  int64_t size = self.dim() ? self.sizes()[dim] : 1;
  Shape expect = self.sizes();
  if (self.dim()) expect[dim] = idx.numel();
  EMBER_CHECK(src.sizes() == expect, Runtime, "[index_add] source of shape ", shape_str(src.sizes()),
              " does not match the expected shape ", shape_str(expect));
  check_index_range("index_add", idx, dim, size);
  Tensor out = contiguous_clone(self);
  Tensor s = src.is_contiguous() ? src : contiguous_clone(src);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < self.dim(); ++d) (d < dim ? outer : inner) *= d == dim ? 1 : self.sizes()[d];
  EMBER_DISPATCH_KERNEL(out.device(), index_add, out.dtype(), out.raw_data(), s.raw_data(), typed_ptr<int64_t>(idx),
                        idx.numel(), outer, size, inner);
  if (autograd::needs_grad(self, src)) {
    autograd::record("IndexAddBackward0", {out}, {self, src}, {idx}, [dim](const BackwardArgs& c) -> tensor_list {
      return {c.needs[0] ? c.grad() : Tensor(), c.needs[1] ? index_select(c.grad(), dim, c.saved[0]) : Tensor()};
    });
  }
  return out;
}

// On CUDA the count is read back before the output can be allocated: a sync, as in PyTorch.
Tensor nonzero(const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == DType::Bool, Runtime, "[nonzero] expected a bool tensor, got ", dtype_name(mask.dtype()));
  Tensor m = mask.is_contiguous() ? mask : contiguous_clone(mask);
  const Device device = mask.device();
  const int nd = static_cast<int>(m.dim());
  const bool* bits = static_cast<const bool*>(m.raw_data());
  Tensor offsets = empty({kernels::nonzero_blocks(m.numel()) + 1}, DType::Int64, device);
  int64_t count = EMBER_DISPATCH_KERNEL(device, nonzero_count, bits, m.numel(), typed_ptr<int64_t>(offsets));
  Tensor out = empty({count, static_cast<int64_t>(nd)}, DType::Int64, device);
  if (count > 0)
    EMBER_DISPATCH_KERNEL(device, nonzero_fill, bits, nd, m.sizes().data(), typed_ptr<int64_t>(offsets),
                          typed_ptr<int64_t>(out));
  return out;
}

}  // namespace ember
