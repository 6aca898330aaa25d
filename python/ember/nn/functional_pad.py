"""nn.functional.pad: constant padding of any number of trailing dims (a negative pad crops), and
reflect / replicate / circular padding of the last 1-3 dims, composed of native ops (narrow, cat,
index_select), so the gradient comes from theirs. Imported into nn.functional."""
import builtins

from .. import _C
from ..factories import full, tensor

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_indices(mode, size, left, right, dim, input_shape):
    """For each output position along one dim, which input position it reads. A negative left
    or right crops that side first; a positive one adds positions folded back as the mode says:
    reflected about the edge (reflect), the edge repeated (replicate), or wrapped around the
    cropped span (circular, as torch wraps what is left after cropping)."""
    if mode == "reflect" and (left >= size or right >= size):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({left}, {right}) at dimension {dim} of input {input_shape}")
    if mode == "circular":
        if left > size or right > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        start, stop = builtins.max(-left, 0), size - builtins.max(-right, 0)
        span = stop - start
        return [start + k % span for k in builtins.range(-builtins.max(left, 0), span + builtins.max(right, 0))]
    out = []
    for i in builtins.range(-left, size + right):
        if mode == "replicate":
            j = builtins.min(builtins.max(i, 0), size - 1)
        else:  # reflect
            j = -i if i < 0 else (2 * (size - 1) - i if i >= size else i)
        out.append(j)
    return out


def _pad_constant(input, pairs, value):
    out = input
    for dim, (left, right) in pairs:
        size = out.shape[dim]
        if size + left + right < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        # Crop first, so a negative pad on one side and a positive one on the other both apply.
        start, stop = builtins.max(-left, 0), size - builtins.max(-right, 0)
        if start or stop != size:
            out = out.narrow(dim, start, builtins.max(stop - start, 0))
        parts = []
        for amount in (left, right):
            if amount > 0:
                shape = list(out.shape)
                shape[dim] = amount
                parts.append(full(shape, value, dtype=out.dtype, device=out.device))
            else:
                parts.append(None)
        if parts[0] is not None or parts[1] is not None:
            out = _C.cat([t for t in (parts[0], out, parts[1]) if t is not None], dim)
    return out


def _check_non_constant(input, pad):
    n = len(pad) // 2
    if n > 3 or input.dim() not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad) // 2 dims: pad = (left of the last dim, right of the last dim,
    left of the one before, ...), as torch.nn.functional.pad."""
    pad = [int(p) for p in pad]
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.dim()}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = [(input.dim() - 1 - i, (pad[2 * i], pad[2 * i + 1])) for i in builtins.range(len(pad) // 2)]
    if mode == "constant":
        return _pad_constant(input, pairs, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_non_constant(input, pad)
    if mode in ("reflect", "replicate") and input.dtype == _C.dtype.bool:  # torch has no such kernels
        raise NotImplementedError(f"[pad] {mode} padding not implemented for 'Bool'")
    out = input
    for dim, (left, right) in pairs:
        index = _source_indices(mode, out.shape[dim], left, right, dim, list(input.shape))
        out = _C.index_select(out, dim, tensor(index, dtype=_C.dtype.int64, device=out.device))
    return out
