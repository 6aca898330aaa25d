"""nn.functional's lookups: embedding (a native gather of the flattened indices, so its backward
is the native index_add) and one_hot. Imported into nn.functional."""
from .. import _C
from ..autograd.grad_mode import no_grad
from ..factories import arange, ones, zeros
from .functional_norms import _vector_norm

_int64 = _C.dtype.int64


def _wrap_padding_idx(padding_idx, num_embeddings):
    """PyTorch's check and wrap of a negative padding_idx (an AssertionError, as torch raises)."""
    if padding_idx is None:
        return None
    if padding_idx > 0 and padding_idx >= num_embeddings:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num_embeddings + padding_idx
    return padding_idx


def _check_indices(input):
    if input.dtype not in (_int64, _C.dtype.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype} instead (while checking arguments for embedding)")


def _embedding_renorm_(weight, flat, max_norm, norm_type):
    """torch.embedding_renorm_: each looked-up row whose norm exceeds max_norm is scaled in place
    by max_norm / (norm + 1e-7), outside autograd. A row looked up twice is written twice with
    the same value, so no dedup is needed."""
    with no_grad():
        rows = _C.index_select(weight, 0, flat)
        norms = _vector_norm(rows, norm_type, 1, True)
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[flat] = rows * scale


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight[input]: rows of a (num_embeddings, embedding_dim) table gathered by int64 indices
    of any shape. Rows at padding_idx are returned as stored but get no gradient; with
    scale_grad_by_freq each gradient row is divided by how often its index occurs in input."""
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if sparse:
        raise NotImplementedError("[embedding] the `sparse` argument is not supported by ember yet "
                                  "(ember has no sparse gradients); use sparse=False")
    _check_indices(input)
    padding_idx = _wrap_padding_idx(padding_idx, weight.shape[0])
    flat = input.reshape(-1)
    if max_norm is not None:
        _embedding_renorm_(weight, flat, max_norm, norm_type)
    out = _C.index_select(weight, 0, flat)  # raises IndexError for an index out of range
    if out.requires_grad:  # (False under no_grad)
        # Note [Embedding gradient masks]: the padding row keeps its forward value but takes no
        # gradient, as torch's embedding_backward skips it. `where` with the detached gather on
        # the masked side does exactly that: values unchanged (no arithmetic on them, so an inf
        # or NaN row stays as it is), and the index_add of the backward adds zeros there.
        if padding_idx is not None:
            keep = (flat != padding_idx).unsqueeze(1)
            out = _C.where(keep, out, out.detach())
        if scale_grad_by_freq:
            # Each row's gradient divided by its index's count in this batch, as torch: a hook on
            # the gathered rows, so the forward stays untouched.
            counts = zeros(weight.shape[0], dtype=weight.dtype, device=weight.device).index_add(
                0, flat, ones(flat.shape[0], dtype=weight.dtype, device=weight.device))
            scale = (1.0 / _C.index_select(counts, 0, flat)).unsqueeze(1)
            out.register_hook(lambda grad: grad * scale)
    return out.reshape(list(input.shape) + [weight.shape[1]])


def embedding_op(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding, the op under F.embedding: the weight first, and a negative padding_idx is none."""
    return embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                     scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def one_hot(tensor, num_classes=-1):
    """An int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each index; with
    num_classes=-1, one more than the largest index."""
    if tensor.dtype != _int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max().item()) + 1
    if tensor.numel():  # torch checks the values too, a host read on a GPU as well
        if int(tensor.min().item()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(tensor.max().item()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = arange(num_classes, dtype=_int64, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).to(_int64)
