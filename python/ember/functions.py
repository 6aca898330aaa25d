"""The torch.* function spellings of ember's Tensor methods (torch.reshape(x, s) is x.reshape(s),
torch.transpose(x, 0, 1) is x.transpose(0, 1) ...), and the functions with no method form:
einsum (_einsum.py), meshgrid, is_floating_point, numel. Each only forwards to the native op or
to a composite of _composite_ops.py."""
import builtins
import warnings

from ._einsum import einsum  # noqa: F401
from ._composite_ops import (addbmm, addmm, addmv, baddbmm, bincount, cdist, diag, dot, flip,  # noqa: F401
                             logsumexp, masked_select, mv, norm, outer, repeat_interleave, roll, scatter, tensordot,
                             tril, triu, unique)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


swapaxes = swapdims = transpose


def permute(input, dims):
    return input.permute(*dims)


def t(input):
    return input.t()


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no' if input.numel() == 0 else 'more than one'} "
                           "values is ambiguous")
    return builtins.bool(input.item())


def broadcast_to(input, size):
    return input.broadcast_to(size)


def unbind(input, dim=0):
    return input.unbind(dim)


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def clone(input):
    return input.clone()


def detach(input):
    return input.detach()


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output i varies along dim i ('ij'); 'xy' (Cartesian) swaps the roles of
    the first two."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"ember.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for x in tensors:
        if x.dim() > 1:
            raise RuntimeError(f"ember.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {x.dim()}D")
    flat = [x.reshape(-1) for x in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = [x.shape[0] for x in flat]
    grids = []
    for i, x in enumerate(flat):
        view = [1] * len(flat)
        view[i] = shape[i]
        grids.append(x.view(view).expand(shape))
    if swap:  # 'xy' is 'ij' of the first two swapped, with the first two outputs swapped back
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


