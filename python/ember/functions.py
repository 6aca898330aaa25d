"""The torch.* function spellings of ember's Tensor methods (torch.reshape(x, s) is x.reshape(s),
torch.transpose(x, 0, 1) is x.transpose(0, 1) ...), and the functions with no method form:
einsum, meshgrid, is_floating_point, numel. Each only forwards to the native op or to a
composite of _composite_ops.py."""
import builtins
import warnings

from . import _C
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


def _parse_einsum(equation, operands):
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError("[einsum] ellipsis ('...') subscripts are not supported yet")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(inputs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    for sub, op in zip(inputs, operands):
        if not sub.isalpha() and sub:
            raise RuntimeError(f"einsum(): invalid subscript given in the equation string: {sub!r}")
        if len(sub) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) does not match the "
                               f"number of dimensions ({op.dim()}) for operand {inputs.index(sub)}")
        if len(set(sub)) != len(sub):
            raise NotImplementedError(f"[einsum] a subscript repeated in one operand ({sub!r}: a diagonal) is not "
                                      "supported yet")
    if not arrow:  # implicit output: the letters used once, in alphabetical order
        counts = {c: lhs.count(c) for c in set(lhs) if c.isalpha()}
        out = "".join(sorted(c for c, n in counts.items() if n == 1))
    sizes = {}
    for sub, op in zip(inputs, operands):
        for c, n in zip(sub, op.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes (subscript {c!r} has "
                                   f"sizes {sizes[c]} and {n})")
    return inputs, out, sizes


def _contract(a, la, b, lb, keep, sizes):
    """a (letters la) times b (letters lb) summed over their shared letters not in `keep`: one
    batched matrix product over the shared letters that are kept."""
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    only_a = [c for c in la if c not in lb]
    only_b = [c for c in lb if c not in la]

    def size(letters):
        n = 1
        for c in letters:
            n *= sizes[c]
        return n

    lhs = a.permute(*[la.index(c) for c in batch + only_a + summed]).reshape(size(batch), size(only_a), size(summed))
    rhs = b.permute(*[lb.index(c) for c in batch + summed + only_b]).reshape(size(batch), size(summed), size(only_b))
    out = _C.bmm(lhs, rhs).reshape([sizes[c] for c in batch + only_a + only_b])
    return out, "".join(batch + only_a + only_b)


def einsum(equation, *operands):
    """Einstein summation over letters (no '...' and no repeated letter within one operand yet):
    letters only one operand uses are summed away, then operands are multiplied pairwise, left to
    right, as batched matrix products."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, out, sizes = _parse_einsum(equation, operands)
    terms = list(zip(operands, inputs))
    for i, (op, sub) in enumerate(terms):  # letters nobody else needs are summed away first
        others = out + "".join(s for j, (_, s) in enumerate(terms) if j != i)
        gone = [d for d, c in enumerate(sub) if c not in others]
        if gone:
            terms[i] = (op.sum(gone), "".join(c for c in sub if c in others))
    acc, letters = terms[0]
    for k, (op, sub) in enumerate(terms[1:], 1):
        keep = out + "".join(s for _, s in terms[k + 1:])
        acc, letters = _contract(acc, letters, op, sub, keep, sizes)
    gone = [d for d, c in enumerate(letters) if c not in out]
    if gone:
        acc, letters = acc.sum(gone), "".join(c for c in letters if c in out)
    return acc.permute(*[letters.index(c) for c in out]) if out else acc
