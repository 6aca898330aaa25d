// searchsorted and bucketize: a binary search of each value in a sorted sequence (Note [Search
// bounds] in kernels/sort.h), the sequence shared by all values (1-D) or one per row.
#include "autograd/grad_mode.h"
#include "kernels/dispatch.h"
#include "kernels/sort.h"
#include "ops/ops.h"

namespace ember {

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool right, const Tensor& sorter) {
  const Tensor& seq_in = sorted_sequence;
  EMBER_CHECK(seq_in.dim() > 0, Runtime, "[searchsorted] torch.searchsorted(): boundaries tensor should have "
              "positive dimension, but got 0 dimension");
  EMBER_CHECK(seq_in.device() == values.device(), Runtime, "[searchsorted] boundaries and input value tensors "
              "should be on the same device, got ", seq_in.device().str(), " and ", values.device().str());
  if (seq_in.dim() > 1) {
    bool match = values.dim() == seq_in.dim();
    for (int64_t i = 0; match && i + 1 < seq_in.dim(); ++i) match = seq_in.sizes()[i] == values.sizes()[i];
    EMBER_CHECK(match, Runtime, "[searchsorted] torch.searchsorted(): boundaries tensor should be 1 dimension or "
                "the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got "
                "boundaries tensor ", shape_str(seq_in.sizes()), " and input value tensor ", shape_str(values.sizes()));
  }
  autograd::AutoGradMode no_grad(false);  // indices: never differentiable
  Tensor seq = seq_in;
  if (sorter.defined()) {
    EMBER_CHECK(sorter.dtype() == DType::Int64 && sorter.sizes() == seq.sizes(), Runtime,
                "[searchsorted] torch.searchsorted(): sorter must be an int64 tensor of the boundaries' shape ",
                shape_str(seq.sizes()), ", got ", dtype_name(sorter.dtype()), " of shape ", shape_str(sorter.sizes()));
    seq = gather(seq, -1, sorter);
  }
  // Mixed dtypes compare in the promoted one (PyTorch does the same).
  const DType common = promote_types(seq.dtype(), values.dtype());
  EMBER_CHECK(common != DType::Bool, NotImplemented, "[searchsorted] not implemented for ", dtype_name(common));
  seq = contiguous(to_dtype(seq, common));
  Tensor vals = contiguous(to_dtype(values, common));
  Tensor out = empty(values.sizes(), DType::Int64, values.device());
  if (out.numel() == 0) return out;
  const int64_t seq_len = seq.sizes().back();
  const bool shared = seq.dim() == 1;
  const int64_t per_row = shared ? vals.numel() : vals.sizes().back();
  EMBER_DISPATCH_KERNEL(out.device(), search_sorted, common, right, static_cast<int64_t*>(out.raw_data()),
                        seq.raw_data(), vals.raw_data(), vals.numel() / per_row, per_row, seq_len,
                        shared ? 0 : seq_len);
  return out;
}

Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool right) {
  EMBER_CHECK(boundaries.dim() == 1, Runtime, "[bucketize] boundaries tensor must be 1 dimension, but got dim(",
              boundaries.dim(), ")");
  return searchsorted(boundaries, input, right, Tensor());
}

}  // namespace ember
