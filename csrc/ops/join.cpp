// Joining and splitting along one dim: cat, stack, split, split_sizes, chunk. cat copies each
// input into its slab of the output; its backward hands each input its slab of the gradient.
// The splits are slices (views), each with its own backward (SliceBackward0).
#include "autograd/function_node.h"
#include "core/checked_arith.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// PyTorch keeps accepting 1-D empty tensors (shape (0,)) in cat whatever the other shapes are.
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }

std::string sizes_list(const Shape& s) {  // "[2, 3]", as PyTorch prints sizes in these messages
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

Tensor cat(const tensor_list& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), Value, "[cat] expected a non-empty list of Tensors");
  const Tensor* ref = nullptr;
  DType dtype = tensors[0].dtype();
  for (const Tensor& t : tensors) {
    EMBER_CHECK(t.device() == tensors[0].device(), Runtime, "[cat] expected all tensors on the same device, got ",
                tensors[0].device().str(), " and ", t.device().str());
    dtype = promote_types(dtype, t.dtype());
    if (!ref && !skipped_in_cat(t)) ref = &t;
  }
  if (!ref) ref = &tensors[0];  // every input is (0,): the result is too
  EMBER_CHECK(ref->dim() > 0, Runtime, "[cat] zero-dimensional tensor (at position 0) cannot be concatenated");
  dim = wrap_dim(dim, ref->dim());
  Shape out_shape = ref->sizes();
  out_shape[dim] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t) && &t != ref) continue;
    EMBER_CHECK(t.dim() > 0, Runtime, "[cat] zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    EMBER_CHECK(t.dim() == ref->dim(), Runtime, "[cat] Tensors must have same number of dimensions: got ", ref->dim(),
                " and ", t.dim());
    for (int64_t d = 0; d < t.dim(); ++d)
      EMBER_CHECK(d == dim || t.sizes()[d] == ref->sizes()[d], Runtime,
                  "[cat] Sizes of tensors must match except in dimension ", dim, ". Expected size ", ref->sizes()[d],
                  " but got size ", t.sizes()[d], " for tensor number ", i, " in the list.");
    // Expanded inputs can be huge without memory behind them: the sum is checked (Note [Checked size arithmetic]).
    if (add_overflows(out_shape[dim], t.sizes()[dim], &out_shape[dim]))
      fail(ErrorKind::Runtime, "[cat] the size of dimension ", dim, " overflowed: tensor number ", i, " has size ",
           shape_str(t.sizes()));
  }
  Tensor out = empty(out_shape, dtype, ref->device());
  std::vector<int64_t> starts;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    starts.push_back(offset);
    if (skipped_in_cat(t) && &t != ref) continue;
    int64_t n = t.sizes()[dim];
    Shape strides = out.strides(), sizes = out_shape;
    sizes[dim] = n;
    copy_into(make_view(out, sizes, strides, offset * strides[dim]), t);
    offset += n;
  }
  bool any_grad = false;
  for (const Tensor& t : tensors) any_grad = any_grad || autograd::needs_grad(t);
  if (any_grad && is_floating(dtype)) {
    std::vector<int64_t> lengths;
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) {
      lengths.push_back(skipped_in_cat(t) && &t != ref ? -1 : t.sizes()[dim]);
      dtypes.push_back(t.dtype());
    }
    autograd::record("CatBackward0", {out}, tensors, {}, [dim, starts, lengths, dtypes](const BackwardArgs& c) -> tensor_list {
      tensor_list grads(lengths.size());
      for (size_t i = 0; i < lengths.size(); ++i) {
        if (!c.needs[i]) continue;
        grads[i] = lengths[i] < 0 ? zeros({0}, dtypes[i], c.grad().device())
                                  : to_dtype(slice(c.grad(), dim, starts[i], starts[i] + lengths[i], 1), dtypes[i]);
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(const tensor_list& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), Value, "[stack] expected a non-empty list of Tensors");
  for (size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].sizes() == tensors[0].sizes(), Runtime, "[stack] stack expects each tensor to be equal "
                "size, but got ", sizes_list(tensors[0].sizes()), " at entry 0 and ", sizes_list(tensors[i].sizes()),
                " at entry ", i);
  dim = wrap_dim(dim, tensors[0].dim() + 1);
  tensor_list parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, dim));
  return cat(parts, dim);
}

tensor_list split(const Tensor& t, int64_t split_size, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, Runtime, "[split] split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  EMBER_CHECK(split_size >= 0, Runtime, "[split] split expects split_size be non-negative, but got split_size=",
              split_size);
  EMBER_CHECK(split_size > 0 || size == 0, Runtime, "[split] split_size can only be 0 if dimension size is 0, but "
              "got dimension size of ", size);
  int64_t n = split_size == 0 ? 1 : std::max<int64_t>(ceil_div(size, split_size), 1);
  tensor_list out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t start = i * split_size;  // < size (or 0): no overflow; start + split_size might
    out.push_back(slice(t, dim, start, size - start <= split_size ? size : start + split_size, 1));
  }
  return out;
}

tensor_list split_sizes(const Tensor& t, const std::vector<int64_t>& sizes, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, Runtime, "[split] split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, t.dim());
  int64_t total = 0;
  bool overflow = false;  // a sum past int64 matches no size
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, Runtime, "[split_with_sizes] split_sizes must be non-negative, got ", sizes_list(sizes));
    overflow = overflow || add_overflows(total, s, &total);
  }
  EMBER_CHECK(!overflow && total == t.sizes()[dim], Runtime, "[split_with_sizes] split_with_sizes expects split_sizes to sum "
              "exactly to ", t.sizes()[dim], " (input tensor's size at dimension ", dim, "), but got split_sizes=",
              sizes_list(sizes));
  tensor_list out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(t, dim, start, start + s, 1));
    start += s;
  }
  return out;
}

tensor_list chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  EMBER_CHECK(t.dim() > 0, Runtime, "[chunk] chunk expects at least a 1-dimensional tensor");
  EMBER_CHECK(chunks > 0, Runtime, "[chunk] chunk expects `chunks` to be greater than 0, got: ", chunks);
  int64_t size = t.size(dim);
  int64_t split_size = ceil_div(size, chunks);
  if (split_size == 0 && size == 0) {  // PyTorch: `chunks` empty pieces
    return split_sizes(t, std::vector<int64_t>(static_cast<size_t>(chunks), 0), dim);
  }
  return split(t, split_size, dim);
}

}  // namespace ember
