"""Ops PyTorch has that ember composes from its native ones (views, index_select, where, matmul),
each differentiable through them: flip, roll, tril/triu, diag, outer, dot, mv, addmm, baddbmm,
tensordot. They are both Tensor methods (tensor.py) and ember functions (functions.py). Index
tensors are built natively (arange); nothing loops over elements in Python."""
import builtins

from . import _C
from ._scatter_ops import scatter  # noqa: F401  (re-exported: functions.py and tensor.py take it from here)


def _dims(dims, ndim, op):
    dims = [dims] if isinstance(dims, int) else list(dims)
    wrapped = [d + ndim if d < 0 else d for d in dims]
    for d, w in zip(dims, wrapped):
        if not 0 <= w < builtins.max(ndim, 1):
            raise IndexError(f"[{op}] Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                             f"but got {d})")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"[{op}] dims has duplicates: {dims}")
    return wrapped


def _arange(n, device, start=0, step=1):
    return _C._arange(start, start + step * n, step, _C.dtype.int64, device) if n else \
        _C._empty([0], _C.dtype.int64, device)


def flip(input, dims):
    """Reverses the order of elements along each of `dims`; always a copy, as PyTorch's."""
    dims = _dims(dims, input.dim(), "flip")
    if not dims or not input.dim():  # nothing to reverse (no dims, or the one element of a 0-d tensor)
        return input.clone()
    out = input
    for d in dims:
        n = input.shape[d]
        out = out.index_select(d, _arange(n, input.device, n - 1, -1))
    return out


def roll(input, shifts, dims=None):
    """Shifts elements along dims, wrapping around; without dims, over the flattened tensor.
    Always a copy, as PyTorch's, also where every shift is a whole turn."""
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    if not input.dim():
        _dims(dims, 0, "roll")
        return input.clone()
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = _dims(dims, input.dim(), "roll")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for s, d in zip(shifts, dims):
        n = input.shape[d]
        if n and s % n:
            head = n - s % n  # element i moves to (i + s) mod n: the last s % n come first
            idx = _C.cat([_arange(n - head, input.device, head), _arange(head, input.device)], 0)
            out = out.index_select(d, idx)
    return out if out is not input else input.clone()


def _outside_triangle(input, diagonal, lower):
    """True where element (i, j) of the last two dims lies outside the triangle kept."""
    if input.dim() < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2], input.shape[-1]
    r = _arange(rows, input.device).view(rows, 1)
    c = _arange(cols, input.device).view(1, cols)
    return (c - r > diagonal) if lower else (c - r < diagonal)


def tril(input, diagonal=0):
    """The lower triangle (j - i <= diagonal) of the last two dims; zeros elsewhere."""
    return input.masked_fill(_outside_triangle(input, diagonal, True), 0)


def triu(input, diagonal=0):
    """The upper triangle (j - i >= diagonal) of the last two dims; zeros elsewhere."""
    return input.masked_fill(_outside_triangle(input, diagonal, False), 0)


def diag(input, diagonal=0):
    """A 1-D input becomes a square matrix with it on the given diagonal; a 2-D input gives that diagonal."""
    if input.dim() == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        out = _C._zeros([n, n], input.dtype, input.device)
        idx = _arange(input.shape[0], input.device)
        rows, cols = (idx, idx + diagonal) if diagonal >= 0 else (idx - diagonal, idx)
        out[rows, cols] = input
        return out
    if input.dim() == 2:
        rows, cols = input.shape
        length = builtins.max(0, builtins.min(rows, cols - diagonal) if diagonal >= 0 else
                              builtins.min(rows + diagonal, cols))
        idx = _arange(length, input.device)
        return input[idx, idx + diagonal] if diagonal >= 0 else input[idx - diagonal, idx]
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")


def outer(input, vec2):
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def dot(input, other):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] "
                           f"to have the same number of elements, but got {input.shape[0]} and {other.shape[0]} "
                           "elements respectively")
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype} and {other.dtype}")
    return _C.matmul(input, other)


def mv(input, vec):
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {vec.dim()}")
    return _C.matmul(input, vec)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product; beta == 0 ignores input entirely (NaN there does not spread).
    Integer tensors take the scalars as integers, truncated, as PyTorch does (beta=0.5 is 0)."""
    if not product.is_floating_point():
        beta, alpha = int(beta), int(alpha)
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        return out
    return out + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _scaled_sum(input, _C.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, _C.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, _C.bmm(batch1, batch2).sum(0), beta, alpha)


def tensordot(a, b, dims=2):
    """Contracts dims of a with dims of b: an int n takes a's last n and b's first n; a pair of
    lists names them. A permute and a reshape on each side, then one matrix product."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(builtins.range(a.dim() - dims, a.dim())), list(builtins.range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a, dims_b = _dims(dims_a, a.dim(), "tensordot"), _dims(dims_b, b.dim(), "tensordot")
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in builtins.range(a.dim()) if d not in dims_a]
    free_b = [d for d in builtins.range(b.dim()) if d not in dims_b]
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    lhs = a.permute(*(free_a + dims_a)).reshape(-1, k)
    rhs = b.permute(*(dims_b + free_b)).reshape(k, -1)
    return _C.mm(lhs, rhs).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def _squeeze_dims(x, dims):
    for d in sorted(dims, reverse=True):
        x = x.squeeze(d)
    return x


def _reduce_dims(input, dim):
    if dim is None:
        return list(builtins.range(input.dim()))
    return _dims(dim, input.dim(), "reduce") if input.dim() else []


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over dim, shifted by the max so nothing overflows; an all -inf slice gives
    -inf and a +inf element gives +inf, as in PyTorch. Integers in the default float dtype. The
    gradient is the softmax, exp(x - result). Native (ops/reduce_logsumexp.cpp), so an expanded
    input is not laid out in full (Note [Reducing stride-0 dims])."""
    return _C._logsumexp(input, _reduce_dims(input, dim), keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over dim (all elements by default): 'fro'/2, 1, inf, -inf, 0 or any p.
    Where the norm is 0 the gradient is 0, as PyTorch's subgradient, not NaN."""
    if not input.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype}")
    if dtype is not None:
        input = input._to_dtype(dtype)
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(f"norm: unsupported string p='{p}' (ember has the vector norms and 'fro')")
        p = 2
    dims = _reduce_dims(input, dim)
    a = input.abs()
    if p == float("inf"):
        out = a.amax(dims, keepdim=True)
    elif p == float("-inf"):
        out = a.amin(dims, keepdim=True)
    elif p == 0:  # a count, recorded as PyTorch records it: a zero gradient (0, also where x is NaN/inf)
        zero = input * 0.0
        zero = zero.masked_fill(zero.isnan(), 0.0).sum(dims, keepdim=True)
        out = (a != 0)._to_dtype(input.dtype).sum(dims, keepdim=True) + zero
    elif p == 1:
        out = a.sum(dims, keepdim=True)
    else:
        s = (a ** p).sum(dims, keepdim=True)
        zero = s == 0
        out = s.masked_fill(zero, 1.0) ** (1.0 / p)  # the root's derivative at 0 is infinite: kept away
        out = out.masked_fill(zero, 0.0)
    return out if keepdim else _squeeze_dims(out, dims)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 (.., P, M) and x2 (.., R, M): (.., P, R)."""
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


def masked_select(input, mask):
    """The elements of input where mask (broadcast with it) is true, as a 1-D tensor."""
    if mask.dtype != _C.dtype.bool:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    shape = _broadcast_shape(tuple(input.shape), tuple(mask.shape), "masked_select")
    return input.expand(*shape)[mask.expand(*shape)]


def _broadcast_shape(a, b, op):
    n = builtins.max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"[{op}] The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
    return tuple(builtins.max(x, y) if 0 not in (x, y) else 0 for x, y in zip(a, b))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along dim) repeated repeats times (an int, or one count per element);
    repeat_interleave(counts) alone repeats the indices 0..n-1. The counts are read on the host,
    as the output's size depends on them (PyTorch syncs here too)."""
    import numpy as np
    if repeats is None:  # repeat_interleave(counts)
        counts = input
        return _C.from_numpy(np.repeat(np.arange(counts.shape[0]), counts.cpu().numpy())).to(counts.device)
    if dim is None:
        input, dim = input.flatten(), 0
    n = input.shape[dim]
    counts = repeats.cpu().numpy() if isinstance(repeats, _C.TensorBase) else np.full(n, int(repeats))
    if counts.ndim == 0:
        counts = np.full(n, int(counts))
    if counts.shape[0] != n:
        raise RuntimeError("repeats must have the same size as input along dim")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = _C.from_numpy(np.repeat(np.arange(n, dtype=np.int64), counts)).to(input.device)
    return input.index_select(dim, idx)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of input (flattened), ascending; optionally each element's position
    in them and each value's count. Built on the native sort and cumsum."""
    if dim is not None:
        raise NotImplementedError("[unique] dim= is not supported yet")
    flat = input.flatten()
    values, order = flat.sort()
    n = values.shape[0]
    if n == 0:
        empty = _C._empty([0], _C.dtype.int64, input.device)
        out = [values] + ([empty.view(input.shape)] if return_inverse else []) + ([empty] if return_counts else [])
        return out[0] if len(out) == 1 else tuple(out)
    first = _C.cat([_C._full([1], True, _C.dtype.bool, input.device), values[1:] != values[:-1]], 0)
    group = first._to_dtype(_C.dtype.int64).cumsum(0) - 1  # which distinct value each sorted element is
    out = [values[first]]
    if return_inverse:
        inverse = _C._zeros([n], _C.dtype.int64, input.device).scatter_add(0, order, group)
        out.append(inverse.view(input.shape))
    if return_counts:
        k = out[0].shape[0]
        out.append(_C._zeros([k], _C.dtype.int64, input.device).scatter_add(0, group, group.new_ones(group.shape)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):
    """Counts (or summed weights) of each value 0..max(input) of a 1-D non-negative int tensor."""
    if input.dim() != 1 or input.dtype not in (_C.dtype.int64, _C.dtype.int32):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.numel() and input.amin().item() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    size = builtins.max(minlength, input.amax().item() + 1 if input.numel() else 0)
    if weights is None:
        return _C._zeros([size], _C.dtype.int64, input.device).scatter_add(
            0, input, input.new_ones(input.shape, dtype=_C.dtype.int64))
    dtype = weights.dtype if weights.is_floating_point() else _C.dtype.float64
    return _C._zeros([size], dtype, input.device).scatter_add(0, input, weights._to_dtype(dtype))
