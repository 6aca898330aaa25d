"""ember.nn.functional with PyTorch's signatures. Activations, linear, dropout and the fused
losses go straight to one native op each; layer_norm, batch_norm and nll_loss are composed of
native ops (exact, and their gradients come from those ops' formulas)."""
import builtins
import warnings

from .. import _C
from ..autograd.grad_mode import no_grad


def _softmax_dim(name, ndim, stacklevel):
    # PyTorch's legacy rule for a missing dim, with its deprecation warning.
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _reduction(size_average, reduce, reduction):
    """The reduction string, honouring the deprecated size_average/reduce flags as PyTorch does."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction=... instead.")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if (size_average and reduce) else ("sum" if reduce else "none")


def _unsupported(op, **kwargs):
    for name, value in kwargs.items():
        if value is not None:
            raise NotImplementedError(f"[{op}] the `{name}` argument is not supported by ember yet")


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _C.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _C.log_softmax(input, dim, dtype)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross entropy over class indices: one fused native op, forward and backward;
    with per-class weights, log_softmax and the weighted nll_loss instead. A floating target holds
    class probabilities (shaped like input), as in PyTorch."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.is_floating_point():
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    if weight is None:
        return _C.cross_entropy(input, target, reduction, ignore_index, label_smoothing)
    return _weighted_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def _weighted_cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    """PyTorch's weighted cross entropy: sample n costs w[y_n] * -log p[n, y_n]; with smoothing e,
    (1 - e) times that plus e / C * sum_c w[c] * -log p[n, c]; 'mean' divides both by the sum of
    w[y_n] over the samples not ignored."""
    class_dim = 0 if input.dim() == 1 else 1
    classes = input.shape[class_dim]
    if weight.dim() != 1 or weight.shape[0] != classes:
        raise RuntimeError(f"[cross_entropy] weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(input, class_dim)
    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    shape = [1] * input.dim()
    shape[class_dim] = classes
    kept = (target != ignore_index).to(input.dtype)
    smooth = -(logp * weight.reshape(shape)).sum(class_dim) * kept  # per sample
    if reduction == "none":
        total = smooth
    elif reduction == "sum":
        total = smooth.sum()
    else:
        safe = _C.where(target != ignore_index, target, 0)
        total = smooth.sum() / (_C.index_select(weight, 0, safe.reshape(-1)) * kept.reshape(-1)).sum()
    return nll * (1.0 - label_smoothing) + total * (label_smoothing / classes)


def relu(input, inplace=False):
    return input.relu_() if inplace else _C.relu(input)


def sigmoid(input):
    return _C.sigmoid(input)


def tanh(input):
    return _C.tanh(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = _C.leaky_relu(input, negative_slope)
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    return _C.gelu(input, approximate)


def _maybe_inplace(input, out, inplace):
    """torch's inplace=True: the result written into input (differentiably, through copy_)."""
    return input.copy_(out) if inplace else out


def silu(input, inplace=False):
    return _maybe_inplace(input, _C.silu(input), inplace)


def mish(input, inplace=False):
    return _maybe_inplace(input, _C.mish(input), inplace)


def selu(input, inplace=False):
    return _maybe_inplace(input, _C.selu(input), inplace)


def elu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(input, _C.elu(input, alpha), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _C.softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, _C.hardtanh(input, min_val, max_val), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    return _C.logsigmoid(input)


def linear(input, weight, bias=None):
    """input @ weight.T + bias as one native op (the bias is added in the GEMM's output pass);
    integer tensors (which PyTorch also multiplies) through matmul."""
    if not input.is_floating_point() and input.dtype == weight.dtype:
        out = _C.matmul(input, weight.t())
        return out if bias is None else out + bias
    return _C.linear(input, weight, bias)


def linear_relu(input, weight, bias=None):
    """relu(linear(input, weight, bias)), with bias and ReLU applied in one pass over the output."""
    return _C.linear_relu(input, weight, bias)


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    out = _C.dropout(input, p, training)
    return input.copy_(out) if inplace and out is not input else out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if not input.is_floating_point():
        raise NotImplementedError(f"[layer_norm] not implemented for {input.dtype}")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    n = len(normalized_shape)
    if n == 0 or tuple(input.shape[input.dim() - n:]) != normalized_shape or input.dim() < n:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{list(input.shape)}")
    dims = list(builtins.range(-n, 0))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalises each channel (dim 1) of an (N, C, *) input over every other dim. In training the
    batch statistics are used and the running ones updated in place (unbiased variance)."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or higher input (got {input.dim()}D input)")
    C = input.shape[1]
    count = input.numel() // C if C else 0
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{list(input.shape)}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    stat_shape = [1, C] + [1] * (input.dim() - 2)
    dims = [0] + list(builtins.range(2, input.dim()))
    if training or running_mean is None:
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if training and running_mean is not None:
            with no_grad():
                running_mean.mul_(1.0 - momentum).add_(mean.detach().reshape(C) * momentum)
            if running_var is not None:
                with no_grad():
                    unbiased = var.detach().reshape(C) * (count / (count - 1))
                    running_var.mul_(1.0 - momentum).add_(unbiased * momentum)
    else:
        centered = input - running_mean.reshape(stat_shape)
        var = running_var.reshape(stat_shape)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(stat_shape)
    if bias is not None:
        out = out + bias.reshape(stat_shape)
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[n, target[n]] per sample (input holds log-probabilities over dim 1), with an
    optional per-class weight; targets equal to ignore_index count neither value nor weight."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target.dtype != _C.dtype.int64:
        raise RuntimeError(f"[nll_loss] expected scalar type Long but found {target.dtype}")
    if input.dim() < 1:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if not input.is_floating_point():
        raise NotImplementedError(f"[nll_loss] not implemented for {input.dtype}")
    class_dim = 0 if input.dim() == 1 else 1
    expected = tuple(s for i, s in enumerate(input.shape) if i != class_dim)
    if tuple(target.shape) != expected:
        if input.dim() >= 2 and (target.dim() == 0 or target.shape[0] != input.shape[0]):
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0] if target.dim() else 1}).")
        raise RuntimeError(f"[nll_loss] expected target of shape {expected}, got {tuple(target.shape)}")
    C = input.shape[class_dim]
    keep = target != ignore_index
    safe = _C.where(keep, target, 0)
    # On a GPU the check is gather's own, raised at the next sync: reading the targets here would
    # make every call wait for the device (Note [Errors found by kernels], core/cuda/kernel_error.h).
    if safe.device.type == "cpu" and safe.numel() and builtins.bool(((safe < 0) + (safe >= C)).any()):
        bad = [t for t in safe.reshape(-1).tolist() if t < 0 or t >= C][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    picked = _C.gather(input, class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    w = keep.to(input.dtype)
    if weight is not None:
        w = w * _C.index_select(weight, 0, safe.reshape(-1)).reshape(safe.shape)
    loss = -(picked * w)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    # Every target ignored: the mean is 0 / 0 = NaN, as torch's, but the gradient is 0, not the
    # NaN that dividing by a zero total would send back through the (zero-weighted) picks.
    total = w.sum()
    none = total == 0
    return (loss.sum() / total.masked_fill(none, 1.0)).masked_fill(none, float("nan"))


# ---------------------------------------------------------------- convolution and pooling (2-D)

def _pair_arg(value, name, what):
    """An int, or a sequence of one or two ints, as an (h, w) pair; `what` is PyTorch's error text."""
    if isinstance(value, int):
        return (value, value)
    try:
        items = [int(v) for v in value]
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(value).__name__}") from None
    if len(items) == 1:
        return (items[0], items[0])
    if len(items) != 2:
        raise RuntimeError(what(items))
    return tuple(items)


def _conv_pair(value, name):
    return _pair_arg(value, name, lambda v: f"[conv2d] expected {name} to be a single integer value or a list of 2 "
                                             f"values to match the convolution dimensions, but got {name}={v}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch's) over (N, C, H, W) or (C, H, W) input;
    padding is an int, a pair, 'valid' or 'same' (stride 1; an even kernel pads one more at the end)."""
    stride, dilation = _conv_pair(stride, "stride"), _conv_pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("[conv2d] padding='same' is not supported for strided convolutions")
            if weight.dim() != 4:
                raise RuntimeError(f"[conv2d] Expected 4-dimensional weight, but got weight of size {list(weight.shape)}")
            total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
            before = tuple(t // 2 for t in total)
            after = tuple(t - b for t, b in zip(total, before))
        else:
            raise RuntimeError(f"[conv2d] Invalid padding string: '{padding}'")
    else:
        before = after = _conv_pair(padding, "padding")
    return _C.conv2d(input, weight, bias, stride, before, after, dilation, groups)


def _pool_pair(value, op, name):
    return _pair_arg(value, name, lambda v: f"[{op}] {name} must either be a single int, or a tuple of two ints")


def _pool_stride(stride, kernel_size, op):
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        return kernel_size
    return _pool_pair(stride, op, "stride")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    kernel_size = _pool_pair(kernel_size, "max_pool2d", "kernel_size")
    return _C.max_pool2d(input, kernel_size, _pool_stride(stride, kernel_size, "max_pool2d"),
                         _pool_pair(padding, "max_pool2d", "padding"), _pool_pair(dilation, "max_pool2d", "dilation"),
                         bool(ceil_mode))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window; with return_indices also the int64 flat index (h * W + w) of each max.
    A NaN in a window is its max, as in PyTorch."""
    out, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, indices) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    kernel_size = _pool_pair(kernel_size, "avg_pool2d", "kernel_size")
    return _C.avg_pool2d(input, kernel_size, _pool_stride(stride, kernel_size, "avg_pool2d"),
                         _pool_pair(padding, "avg_pool2d", "pad"), bool(ceil_mode), bool(count_include_pad),
                         None if divisor_override is None else int(divisor_override))


def adaptive_avg_pool2d(input, output_size):
    """Mean over PyTorch's adaptive windows; output_size an int or a pair (None keeps that size)."""
    if isinstance(output_size, int):
        size = (output_size, output_size)
    else:
        size = tuple(output_size)
        if len(size) == 1:
            size = size * 2
        if len(size) != 2:
            raise RuntimeError("[adaptive_avg_pool2d] output_size must be 2")
    if input.dim() >= 2:
        size = tuple(input.shape[input.dim() - 2 + i] if s is None else int(s) for i, s in enumerate(size))
    elif any(s is None for s in size):
        raise RuntimeError(f"[adaptive_avg_pool2d] Expected 3D or 4D tensor, but got {tuple(input.shape)}")
    return _C.adaptive_avg_pool2d(input, size)


from .functional_layers import *  # noqa: E402,F401,F403 -- embedding, one_hot, norms, pad (see that file)
from .functional_losses import _cross_entropy_probabilities  # noqa: E402
from .functional_losses import (binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss,  # noqa: E402,F401
                                kl_div, l1_loss, mse_loss, smooth_l1_loss)
