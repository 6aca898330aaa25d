// Note [How indexing runs]
// x[items] runs in two steps. Basic items (ints, slices, None, ...) become view ops (select,
// slice, unsqueeze), so a basic index is a view with the views' own backward. Tensor items
// (int64 tensors, Python lists, bool masks via nonzero) are then applied together, as PyTorch's
// advanced indexing: the indexed dims are moved to the front and flattened, the index tensors
// (broadcast together) become one linear index into that flat dim, and index_select does the work
// (its backward is index_add). The broadcast index shape goes where PyTorch puts it: in place of
// the indexed dims when they are adjacent, else in front. Ints are selects even beside tensor
// items, as in PyTorch 2.x (x[0, :, [0, 1]] has shape (size(1), 2)).

#include <algorithm>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "autograd/inplace.h"
#include "kernels/dispatch.h"
#include "kernels/index.h"
#include "ops/loop_builder.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

std::string sizes_list(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// self after its basic items, and the tensor items left to apply to dims of that view.
struct BasicResult {
  Tensor view;
  std::vector<int64_t> adv_dims;  // increasing dims of `view`
  tensor_list adv;                // one int64 index per adv dim
};

int64_t dims_consumed(const TensorIndex& it) {
  switch (it.kind) {
    case TensorIndex::Kind::Int:
    case TensorIndex::Kind::Slice: return 1;
    case TensorIndex::Kind::Tensor: return it.tensor.dtype() == DType::Bool ? it.tensor.dim() : 1;
    default: return 0;
  }
}

BasicResult apply_basic(const Tensor& self, const std::vector<TensorIndex>& items) {
  int64_t consumed = 0;
  bool has_ellipsis = false;
  for (const TensorIndex& it : items) {
    consumed += dims_consumed(it);
    if (it.kind == TensorIndex::Kind::Ellipsis) {
      EMBER_CHECK(!has_ellipsis, Index, "an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
    }
  }
  EMBER_CHECK(consumed <= self.dim(), Index, "too many indices for tensor of dimension ", self.dim());
  BasicResult r{self, {}, {}};
  int64_t d = 0, orig = 0;  // d: dim of r.view; orig: dim of self
  for (const TensorIndex& it : items) {
    switch (it.kind) {
      case TensorIndex::Kind::Int: {
        int64_t size = r.view.sizes()[d];
        EMBER_CHECK(it.value >= -size && it.value < size, Index, "index ", it.value, " is out of bounds for dimension ",
                    orig, " with size ", size);
        r.view = select(r.view, d, it.value);
        break;
      }
      case TensorIndex::Kind::Slice: r.view = slice(r.view, d++, it.start, it.stop, it.step); break;
      case TensorIndex::Kind::None: r.view = unsqueeze(r.view, d++); break;
      case TensorIndex::Kind::Ellipsis: {
        int64_t skip = self.dim() - consumed;
        d += skip;
        orig += skip;
        break;
      }
      case TensorIndex::Kind::Tensor: {
        const Tensor& t = it.tensor;
        // As PyTorch: an index may be on the CPU whatever the device of the tensor it indexes.
        EMBER_CHECK(t.device().is_cpu() || t.device() == self.device(), Runtime,
                    "[index] indices should be either on cpu or on the same device as the indexed tensor (",
                    self.device().str(), "), got an index on ", t.device().str());
        if (t.dtype() == DType::Bool) {
          EMBER_CHECK(t.dim() > 0, NotImplemented, "[index] indexing with a 0-d bool tensor is not supported");
          for (int64_t j = 0; j < t.dim(); ++j)
            EMBER_CHECK(t.sizes()[j] == r.view.sizes()[d + j], Index, "The shape of the mask ", sizes_list(t.sizes()),
                        " at index ", j, " does not match the shape of the indexed tensor ",
                        sizes_list(r.view.sizes()), " at index ", d + j);
          Tensor coords = nonzero(t);
          autograd::AutoGradMode no_grad(false);
          for (int64_t j = 0; j < t.dim(); ++j) {
            r.adv_dims.push_back(d + j);
            r.adv.push_back(contiguous_clone(select(coords, 1, j)));
          }
          d += t.dim();
        } else {
          EMBER_CHECK(is_integral(t.dtype()), Index, "tensors used as indices must be long, int or bool tensors, got ",
                      dtype_name(t.dtype()));
          r.adv_dims.push_back(d++);
          // The index kernels read int64: an int32 index is widened once here.
          r.adv.push_back(t.dtype() == DType::Int64 ? t : to_dtype(t, DType::Int64));
        }
        break;
      }
    }
    if (it.kind != TensorIndex::Kind::Ellipsis && it.kind != TensorIndex::Kind::None) orig += dims_consumed(it);
  }
  return r;
}

// The shape the tensor items broadcast to.
Shape broadcast_index_shape(const BasicResult& r) {
  Shape bshape = r.adv[0].sizes();
  for (size_t k = 1; k < r.adv.size(); ++k) {
    const Shape& s = r.adv[k].sizes();
    int64_t n = std::max(bshape.size(), s.size());
    Shape out(n);
    for (int64_t i = 0; i < n; ++i) {
      int64_t a = i - n + static_cast<int64_t>(bshape.size()) >= 0 ? bshape[i - n + bshape.size()] : 1;
      int64_t b = i - n + static_cast<int64_t>(s.size()) >= 0 ? s[i - n + s.size()] : 1;
      EMBER_CHECK(a == b || a == 1 || b == 1, Index, "shape mismatch: indexing tensors could not be broadcast "
                  "together with shapes ", sizes_list(bshape), ", ", sizes_list(s));
      out[i] = a == 1 ? b : a;
    }
    bshape = out;
  }
  return bshape;
}

// The tensor items broadcast together and combined into one int64 per element of the broadcast
// shape: the sum over items of index * mults[k], negative indices counting from the end of their
// dim. One kernel on the view's device (a CPU index of a CUDA tensor is moved there first); a bad
// index raises IndexError, on CUDA at the next sync (Note [Errors found by kernels]).
Tensor combined_index(const BasicResult& r, const std::vector<int64_t>& mults, Shape& bshape) {
  bshape = broadcast_index_shape(r);
  EMBER_CHECK(r.adv.size() <= static_cast<size_t>(kMaxDims), Index, "[index] too many tensor indices: ", r.adv.size());
  const Device device = r.view.device();
  tensor_list expanded;  // alive until the kernel is queued (device memory is freed in stream order)
  kernels::IndexTerms terms;
  terms.count = static_cast<int>(r.adv.size());
  for (size_t k = 0; k < r.adv.size(); ++k) {
    Tensor e = detach(r.adv[k]);
    if (e.device() != device) e = to_device(e, device);
    expanded.push_back(contiguous_clone(expand(e, bshape)));
    const int64_t dim = r.adv_dims[k];
    terms.index[k] = typed_ptr<const int64_t>(expanded.back());
    terms.size[k] = r.view.sizes()[dim];
    terms.mult[k] = mults[k];
    terms.dim[k] = dim;
  }
  Tensor out = empty(bshape, DType::Int64, device);
  EMBER_DISPATCH_KERNEL(device, combine_indices, typed_ptr<int64_t>(out), terms, out.numel());
  return out;
}

bool adjacent(const std::vector<int64_t>& dims) {
  for (size_t k = 1; k < dims.size(); ++k)
    if (dims[k] != dims[0] + static_cast<int64_t>(k)) return false;
  return true;
}

// Order of view dims with the adv dims first; `rest` gets the others.
DimList adv_first_order(const BasicResult& r, DimList& rest) {
  DimList order(r.adv_dims.begin(), r.adv_dims.end());
  for (int64_t d = 0; d < r.view.dim(); ++d)
    if (std::find(r.adv_dims.begin(), r.adv_dims.end(), d) == r.adv_dims.end()) rest.push_back(d);
  order.insert(order.end(), rest.begin(), rest.end());
  return order;
}

// Moves the nb broadcast dims at the front of a (B..., rest...) tensor to position `first`, or the reverse.
DimList move_front_dims(int64_t ndim, int64_t nb, int64_t first, bool inverse) {
  DimList p;
  for (int64_t i = 0; i < first; ++i) p.push_back(nb + i);
  for (int64_t i = 0; i < nb; ++i) p.push_back(i);
  for (int64_t i = nb + first; i < ndim; ++i) p.push_back(i);
  if (!inverse) return p;
  DimList inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = static_cast<int64_t>(i);
  return inv;
}

Tensor apply_advanced(const BasicResult& r) {
  // The indexed dims flatten to one, row-major: a later dim's index steps by 1.
  std::vector<int64_t> mults(r.adv.size());
  Shape flat{1};
  for (size_t k = r.adv.size(); k-- > 0;) {
    mults[k] = flat[0];
    flat[0] *= r.view.sizes()[r.adv_dims[k]];
  }
  Shape bshape;
  Tensor linear = combined_index(r, mults, bshape);
  DimList rest;
  DimList order = adv_first_order(r, rest);
  Shape out_shape = bshape;
  for (int64_t d : rest) {
    flat.push_back(r.view.sizes()[d]);
    out_shape.push_back(r.view.sizes()[d]);
  }
  Tensor f = reshape(permute(r.view, order), flat);
  Tensor out = reshape(index_select(f, 0, reshape(linear, {-1})), out_shape);
  int64_t first = r.adv_dims[0];
  if (adjacent(r.adv_dims) && first > 0)
    out = permute(out, move_front_dims(out.dim(), static_cast<int64_t>(bshape.size()), first, false));
  return out;
}

// src viewed so that it broadcasts to `region` (PyTorch drops extra leading 1s of the value), or
// the shape-mismatch error.
Tensor value_for_region(const Tensor& src, const Shape& region) {
  Shape v = src.sizes();
  while (v.size() > region.size() && v.front() == 1) v.erase(v.begin());
  bool ok = v.size() <= region.size();
  for (size_t i = 0; ok && i < v.size(); ++i) {
    int64_t want = region[region.size() - v.size() + i];
    ok = v[i] == want || v[i] == 1;
  }
  EMBER_CHECK(ok, Runtime, "[index_put_] shape mismatch: value tensor of shape ", sizes_list(src.sizes()),
              " cannot be broadcast to indexing result of shape ", sizes_list(region));
  return v == src.sizes() ? src : reshape(src, v);
}

// Writes src (broadcast, cast) into dst[items], with no autograd.
void write_region(const Tensor& dst, const std::vector<TensorIndex>& items, const Tensor& src) {
  autograd::AutoGradMode no_grad(false);
  BasicResult r = apply_basic(dst, items);
  if (r.adv.empty()) {
    copy_into(r.view, value_for_region(src, r.view.sizes()));
    return;
  }
  // Each element of the broadcast index is a row of the region, at this offset from the view's start.
  std::vector<int64_t> mults;
  for (int64_t d : r.adv_dims) mults.push_back(r.view.strides()[d]);
  Shape bshape;
  Tensor offsets = combined_index(r, mults, bshape);
  const int64_t n = offsets.numel();
  DimList rest;
  adv_first_order(r, rest);
  // The value is given in the shape x[items] would have; bring it to (B..., rest...) order.
  Shape rest_sizes, rest_strides, ordered = bshape;
  for (int64_t d : rest) {
    rest_sizes.push_back(r.view.sizes()[d]);
    rest_strides.push_back(r.view.strides()[d]);
    ordered.push_back(r.view.sizes()[d]);
  }
  int64_t first = r.adv_dims[0], nb = static_cast<int64_t>(bshape.size());
  bool moved = adjacent(r.adv_dims) && first > 0;
  Shape result_shape = ordered;
  if (moved) {
    DimList p = move_front_dims(static_cast<int64_t>(ordered.size()), nb, first, false);
    for (size_t i = 0; i < p.size(); ++i) result_shape[i] = ordered[p[i]];
  }
  Tensor value = expand(value_for_region(src, result_shape), result_shape);
  if (moved) value = permute(value, move_front_dims(value.dim(), nb, first, true));
  Tensor rows = empty(ordered, dst.dtype(), dst.device());
  copy_into(rows, value);
  EMBER_DISPATCH_KERNEL(dst.device(), put_rows, dst.dtype(), r.view.raw_data(), rows.raw_data(),
                        typed_ptr<const int64_t>(offsets), n, static_cast<int>(rest.size()), rest_sizes.data(),
                        rest_strides.data());
}

// Sums a gradient of the indexed region back to the value's shape (which may have extra leading 1s).
Tensor reduce_to_value(const Tensor& g, const Shape& value_shape) {
  Shape trimmed = value_shape;
  while (trimmed.size() > static_cast<size_t>(g.dim()) && trimmed.front() == 1) trimmed.erase(trimmed.begin());
  return reshape(sum_to(g, trimmed), value_shape);
}

}  // namespace

Tensor index(const Tensor& self, const std::vector<TensorIndex>& indices) {
  BasicResult r = apply_basic(self, indices);
  if (r.adv.empty()) return r.view.is_same(self) ? view(self, self.sizes()) : r.view;
  return apply_advanced(r);
}

// x[1:] = x[:-1] reads what it overwrites, as a partially overlapping copy_ would; x[idx] = v
// moves elements, so any sharing is refused (Note [Overlapping in-place writes]).
void check_setitem_overlap(const Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value) {
  for (const TensorIndex& it : indices)
    if (it.kind == TensorIndex::Kind::Tensor) return check_no_overlap("index_put_", self, value);
  autograd::AutoGradMode no_grad(false);
  check_no_partial_overlap("copy_", apply_basic(self, indices).view, value);
}

void index_put_(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value) {
  check_setitem_overlap(self, indices, value);
  if (!autograd::needs_grad(self, value)) {
    write_region(self, indices, value);
    self->bump_version();
    return;
  }
  // Note [Differentiable setitem]: the new self is the old self with the region replaced, so the
  // old self gets the gradient with the region zeroed and the value gets the region's gradient.
  check_inplace("index_put_", self, value.requires_grad());
  Tensor out = contiguous_clone(self);
  write_region(out, indices, value);
  Shape value_shape = value.sizes();
  DType value_dtype = value.dtype();
  autograd::record("IndexPutBackward0", {out}, {self, value}, {}, [indices, value_shape, value_dtype](const BackwardArgs& c) -> tensor_list {
    const Tensor& g = c.grad();
    Tensor gself, gvalue;
    if (c.needs[0]) {
      Tensor keep = ones(g.sizes(), g.dtype(), g.device());
      write_region(keep, indices, zeros({}, g.dtype(), g.device()));
      gself = g * keep;
    }
    if (c.needs[1]) gvalue = to_dtype(reduce_to_value(index(g, indices), value_shape), value_dtype);
    return {gself, gvalue};
  });
  commit_inplace("index_put_", self, out);
}

}  // namespace ember
