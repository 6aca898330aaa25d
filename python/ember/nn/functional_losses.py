"""The elementwise losses of nn.functional (mse, l1, smooth_l1, huber, binary_cross_entropy with and
without logits, kl_div): PyTorch's arguments and warnings over the native pointwise loss kernels
(csrc/ops/loss_pointwise.cpp). nn.functional re-exports them. Also cross_entropy's composite
form for probability targets."""
import warnings

from .. import _C
from .functional import _reduction, _unsupported, log_softmax


def _warn_if_broadcast(input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _unsupported("mse_loss", weight=weight)
    _warn_if_broadcast(input, target)
    return _C.mse_loss(input, target, _reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _warn_if_broadcast(input, target)
    return _C.l1_loss(input, target, _reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_if_broadcast(input, target)
    return _C.smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_if_broadcast(input, target)
    if weight is None:
        return _C.huber_loss(input, target, reduction, delta)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    return _weighted(_C.huber_loss(input, target, "none", delta), weight, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return _C.binary_cross_entropy(input, target, reduction)
    return _weighted(_C.binary_cross_entropy(input, target, "none"), weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) per element; 'batchmean' divides the sum by the batch size."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction == "batchmean":
        total = _C.kl_div(input, target, "sum", log_target)
        return total / input.shape[0] if input.dim() != 0 else total
    return _C.kl_div(input, target, reduction, log_target)


def _weighted(per_element, weight, reduction):
    """A per-element loss times weight (broadcast; None: unweighted), then reduced."""
    loss = per_element if weight is None else per_element * weight
    if reduction == "none":
        return loss
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return loss.mean() if reduction == "mean" else loss.sum()


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None and pos_weight is None:
        return _C.binary_cross_entropy_with_logits(input, target, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}")
    if pos_weight is None:
        loss = _C.binary_cross_entropy_with_logits(input, target, "none")
    else:
        # PyTorch's stable form of -[p y log s(x) + (1 - y) log(1 - s(x))], p the positive weight:
        # (1 - y) x + (1 + (p - 1) y) (log(1 + e^-|x|) + max(-x, 0)).
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * (_C.log(_C.exp(-input.abs()) + 1) + (-input).relu())
    return _weighted(loss, weight, reduction)


def _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing):
    """PyTorch's cross entropy against class probabilities q: sample n costs
    -sum_c w[c] q[n, c] log p[n, c], with q = (1 - e) target + e / C under smoothing e; 'mean'
    divides by the number of samples, whatever the weights."""
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"[cross_entropy] expected a probability target of the input's shape "
                           f"{list(input.shape)}, got {list(target.shape)}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    classes = input.shape[class_dim]
    q = target if label_smoothing == 0.0 else target * (1.0 - label_smoothing) + label_smoothing / classes
    terms = log_softmax(input, class_dim) * q
    if weight is not None:
        shape = [1] * input.dim()
        shape[class_dim] = classes
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / (input.numel() // classes if classes else 0)
