// Views: new sizes/strides/offset over the same storage (no copy), each with the backward
// that maps a gradient of the view back to the shape of its input.
#include <algorithm>

#include "autograd/function_node.h"
#include "core/checked_arith.h"
#include "ops/ops.h"

namespace ember {

using autograd::BackwardArgs;

namespace {

// Resolves one -1 in `sizes` and checks the element count. The product of the given sizes is
// checked (Note [Checked size arithmetic]): one that overflows int64 is more elements than any
// tensor has, unless a 0 among the sizes makes it 0, where PyTorch's numel error applies.
Shape infer_size(const char* op, const Shape& sizes, int64_t numel) {
  Shape out = sizes, given;
  int64_t infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, Runtime, "[", op, "] only one dimension can be inferred");
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK(out[i] >= 0, Runtime, "[", op, "] invalid shape dimension ", out[i]);
      given.push_back(out[i]);
    }
  }
  std::optional<int64_t> known = try_numel(given);
  if (!known && std::find(given.begin(), given.end(), 0) != given.end()) shape_numel(given, op);  // throws
  EMBER_CHECK(known.has_value(), Runtime, "[", op, "] shape '", shape_str(sizes), "' is invalid for input of size ",
              numel);
  if (infer >= 0) {
    EMBER_CHECK(*known != 0 && numel % *known == 0, Runtime, "[", op, "] shape '", shape_str(sizes),
                "' is invalid for input of size ", numel);
    out[infer] = numel / *known;
  }
  EMBER_CHECK(shape_numel(out, op) == numel, Runtime, "[", op, "] shape '", shape_str(sizes),
              "' is invalid for input of size ", numel);
  check_sizes(op, out);
  return out;
}

// Strides that let a tensor with (sizes, strides) be viewed with `shape`, if any exist: each run of
// old dims that is contiguous in memory may be regrouped freely (as PyTorch's computeStride).
// A tensor with elements spans at most its storage, so its products fit in int64; they are
// checked all the same, as a product that cannot be represented cannot match a stride either.
std::optional<Shape> view_strides(const char* op, const Shape& sizes, const Shape& strides, const Shape& shape) {
  Shape out(shape.size());
  if (shape_numel(sizes) == 0 || sizes.empty()) return contiguous_strides(shape, op);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];  // a suffix product of the sizes: at most numel
    int64_t chunk_span = 0;
    if (d == 0 || (sizes[d - 1] != 1 && (mul_overflows(tensor_numel, chunk_base_stride, &chunk_span) ||
                                         strides[d - 1] != chunk_span))) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        if (mul_overflows(view_numel, chunk_base_stride, &out[view_d]))
          fail(ErrorKind::Runtime, "[", op, "] Stride calculation overflowed: size ", shape_str(shape));
        view_numel *= shape[view_d];  // a suffix product of the new sizes, which multiply to numel
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

void record_reshape_back(const Tensor& out, const Tensor& in, const char* name) {
  Shape s = in.sizes();
  autograd::record(name, {out}, {in}, {}, [s](const BackwardArgs& c) -> tensor_list { return {reshape(c.grad(), s)}; });
}

}  // namespace

Tensor view(const Tensor& t, const Shape& sizes) {
  Shape shape = infer_size("view", sizes, t.numel());
  auto strides = view_strides("view", t.sizes(), t.strides(), shape);
  EMBER_CHECK(strides.has_value(), Runtime, "[view] view size is not compatible with input tensor's size and "
              "stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  Tensor out = make_view(t, shape, *strides, t->offset());
  if (autograd::needs_grad(t)) record_reshape_back(out, t, "ViewBackward0");
  return out;
}

Tensor reshape(const Tensor& t, const Shape& sizes) {
  Shape shape = infer_size("reshape", sizes, t.numel());
  if (view_strides("reshape", t.sizes(), t.strides(), shape)) return view(t, shape);
  return view(clone(t), shape);
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  int64_t n = t.dim();
  d0 = wrap_dim(d0, n);
  d1 = wrap_dim(d1, n);
  Shape sizes = t.sizes(), strides = t.strides();
  if (n > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  Tensor out = make_view(t, sizes, strides, t->offset());
  if (autograd::needs_grad(t))
    autograd::record("TransposeBackward0", {out}, {t}, {}, [d0, d1](const BackwardArgs& c) -> tensor_list {
      return {transpose(c.grad(), d0, d1)};
    });
  return out;
}

Tensor t(const Tensor& x) {
  EMBER_CHECK(x.dim() <= 2, Runtime, "[t] t() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D");
  return x.dim() < 2 ? view(x, x.sizes()) : transpose(x, 0, 1);
}

Tensor permute(const Tensor& t, const DimList& dims) {
  int64_t n = t.dim();
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == n, Runtime, "[permute] number of dims don't match in permute: "
              "got ", dims.size(), " dims for a tensor of ", n, " dims");
  Shape sizes(n), strides(n);
  DimList inverse(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n);
    EMBER_CHECK(inverse[d] < 0, Runtime, "[permute] repeated dim ", dims[i], " in permute");
    inverse[d] = i;
    sizes[i] = t.sizes()[d];
    strides[i] = t.strides()[d];
  }
  Tensor out = make_view(t, sizes, strides, t->offset());
  if (autograd::needs_grad(t))
    autograd::record("PermuteBackward0", {out}, {t}, {}, [inverse](const BackwardArgs& c) -> tensor_list {
      return {permute(c.grad(), inverse)};
    });
  return out;
}

Tensor expand(const Tensor& t, const Shape& sizes) {
  int64_t n = static_cast<int64_t>(sizes.size()), td = t.dim();
  EMBER_CHECK(n >= td, Runtime, "[expand] the number of sizes provided (", n, ") must be greater or equal to "
              "the number of dimensions in the tensor (", td, ")");
  Shape out_sizes(n), out_strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t j = i - (n - td);
    int64_t have = j >= 0 ? t.sizes()[j] : 1;
    int64_t want = sizes[i] == -1 ? have : sizes[i];
    EMBER_CHECK(j >= 0 || sizes[i] != -1, Runtime, "[expand] -1 is not allowed in a leading, non-existing dimension");
    EMBER_CHECK(have == want || have == 1, Runtime, "[expand] the expanded size of the tensor (", want,
                ") must match the existing size (", have, ") at non-singleton dimension ", i, ".  Target sizes: ",
                shape_str(sizes), ".  Tensor sizes: ", shape_str(t.sizes()));
    out_sizes[i] = want;
    out_strides[i] = (j >= 0 && have == want) ? t.strides()[j] : 0;
  }
  check_sizes("expand", out_sizes);
  Tensor out = make_view(t, out_sizes, out_strides, t->offset());
  if (autograd::needs_grad(t)) {
    Shape s = t.sizes();
    autograd::record("ExpandBackward0", {out}, {t}, {}, [s](const BackwardArgs& c) -> tensor_list { return {sum_to(c.grad(), s)}; });
  }
  return out;
}

Tensor squeeze(const Tensor& t, std::optional<int64_t> dim) {
  if (dim) return squeeze(t, DimList{*dim});
  DimList all;
  for (int64_t i = 0; i < t.dim(); ++i) all.push_back(i);
  return squeeze(t, all);
}

// PyTorch 2's squeeze(dims): each listed dim of size 1 is dropped, the others stay.
Tensor squeeze(const Tensor& t, const DimList& dims) {
  std::vector<bool> listed(t.dim(), false);
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, t.dim());
    if (t.dim() == 0) continue;  // dim 0 / -1 of a 0-d tensor: nothing to drop
    EMBER_CHECK(!listed[d], Runtime, "[squeeze] dim ", d, " appears multiple times in the list of dims");
    listed[d] = true;
  }
  Shape sizes, strides;
  for (int64_t i = 0; i < t.dim(); ++i) {
    bool drop = t.sizes()[i] == 1 && listed[i];
    if (!drop) {
      sizes.push_back(t.sizes()[i]);
      strides.push_back(t.strides()[i]);
    }
  }
  Tensor out = make_view(t, sizes, strides, t->offset());
  if (autograd::needs_grad(t)) record_reshape_back(out, t, "SqueezeBackward0");
  return out;
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim() + 1);
  Shape sizes = t.sizes(), strides = t.strides();
  // Only an empty tensor can have a size * stride past int64 (zeros(2**62, 0, 4) has strides (4, 4, 1)).
  int64_t stride = 1;
  if (d < t.dim() && mul_overflows(sizes[d], strides[d], &stride))
    fail(ErrorKind::Runtime, "[unsqueeze] Stride calculation overflowed: size ", shape_str(sizes), " with strides ",
         shape_str(strides), " at dim ", d);
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  Tensor out = make_view(t, sizes, strides, t->offset());
  if (autograd::needs_grad(t)) record_reshape_back(out, t, "UnsqueezeBackward0");
  return out;
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t.dim() == 0) return reshape(t, {1});
  int64_t s = wrap_dim(start_dim, t.dim()), e = wrap_dim(end_dim, t.dim());
  EMBER_CHECK(s <= e, Runtime, "[flatten] flatten() has invalid args: start_dim cannot come after end_dim");
  Shape sizes(t.sizes().begin(), t.sizes().begin() + s);
  // Checked: an empty tensor's other sizes may multiply past int64 (zeros(0, 2**62, 2**62).flatten(1)).
  sizes.push_back(shape_numel(Shape(t.sizes().begin() + s, t.sizes().begin() + e + 1), "flatten"));
  sizes.insert(sizes.end(), t.sizes().begin() + e + 1, t.sizes().end());
  return reshape(t, sizes);
}

}  // namespace ember
