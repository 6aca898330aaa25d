"""nn.functional's norms of vectors and normalisations over groups: normalize, cosine_similarity,
pairwise_distance, group_norm and rms_norm, composed of native ops (their gradients come from
those ops' formulas). Imported into nn.functional."""
import builtins
import math

from .. import _C
from ..autograd.grad_mode import no_grad
from ..type_info import finfo


def _safe_root(total, root):
    """root(total), with a zero gradient where total == 0 (the norm of a zero vector). torch's
    norm backward masks exactly those entries (x * grad / norm would be 0 / 0 there), so normalize
    and cosine_similarity of a zero vector have finite gradients. `where` keeps the forward exact:
    the masked side is a constant, so nothing flows into root's infinite slope at 0."""
    is_zero = total == 0
    return _C.where(is_zero, 0.0, root(_C.where(is_zero, 1.0, total)))


def _vector_norm(x, p, dim, keepdim):
    """torch.norm(x, p, dim, keepdim) for p = 2, 1, inf, -inf, 0 or any other p > 0, with torch's
    gradients (zero at a zero vector)."""
    if p == 2:
        return _safe_root((x * x).sum(dim, keepdim=keepdim), _C.sqrt)
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    if p < 0:
        raise NotImplementedError(f"[norm] p={p} is not supported by ember yet")
    return _safe_root((x.abs() ** p).sum(dim, keepdim=keepdim), lambda t: t ** (1.0 / p))


def _broadcast(a, b):
    """a and b expanded to their common shape, with torch's error when there is none."""
    sa, sb = list(a.shape), list(b.shape)
    n = builtins.max(len(sa), len(sb))
    sa, sb = [1] * (n - len(sa)) + sa, [1] * (n - len(sb)) + sb
    shape = []
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        shape.append(y if x == 1 else x)
    return a.expand(*shape), b.expand(*shape)


def _as_floating(x):
    return x if x.is_floating_point() else x.to(_C._get_default_dtype())


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps), as torch.nn.functional.normalize."""
    if not input.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {input.dtype}")
    denom = _vector_norm(input, p, dim, True).clamp(min=eps)
    if out is None:
        return input / denom
    with no_grad():
        return out.copy_(input / denom)


def _clamp_min_straight_through(norm, eps):
    """max(norm, eps) whose gradient is that of norm itself. torch's cosine_similarity clamps
    clones of the norms in place under no_grad, so autograd never sees the clamp; this `where`
    gives the same values exactly (norm - norm.detach() is 0) and the same gradients."""
    return _C.where(norm >= eps, norm, norm - norm.detach() + eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) over dim, each vector divided by its
    norm first, as torch does (it keeps the result within [-1, 1])."""
    x1, x2 = _broadcast(_as_floating(x1), _as_floating(x2))
    n1 = _clamp_min_straight_through(_vector_norm(x1, 2, dim, True), eps)
    n2 = _clamp_min_straight_through(_vector_norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim of the broadcast inputs, as torch."""
    innermost = builtins.max(x1.dim(), x2.dim()) - 1
    return _vector_norm(x1 - x2 + eps, p, innermost, keepdim)


def _verify_batch_size(size):
    count = size[0]
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalises an (N, C, *) input over each of num_groups groups of C // num_groups channels
    (and all of *), then scales and shifts each channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = list(input.shape)
    N, C = shape[0], shape[1]
    _verify_batch_size([N * C // num_groups, num_groups] + shape[2:])
    if C % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {shape} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {shape}")
    per_group = (C // num_groups) * math.prod(shape[2:])
    x = input.reshape(N, num_groups, per_group)
    mean = x.mean(2, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(2, keepdim=True)
    out = (centered / (var + eps).sqrt()).reshape(shape)
    channel_shape = [1, C] + [1] * (input.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(channel_shape)
    if bias is not None:
        out = out + bias.reshape(channel_shape)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2) + eps) over the last len(normalized_shape) dims, times weight;
    eps=None means torch.finfo(input.dtype).eps (torch 2.13)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    if n == 0 or input.dim() < n or tuple(input.shape[input.dim() - n:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = list(builtins.range(-n, 0))
    # torch multiplies by rsqrt, which its CPU kernels compute as 1 / sqrt.
    out = input * (1.0 / ((input * input).mean(dims, keepdim=True) + eps).sqrt())
    return out if weight is None else out * weight
