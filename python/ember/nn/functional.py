"""ember.nn.functional with PyTorch's signatures: softmax, log_softmax, the losses, and thin
re-exports of relu/sigmoid/tanh. Each call goes straight to one native op."""
import warnings

from .. import _C


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
    """Softmax cross entropy over class indices (one fused native op, forward and backward)."""
    _unsupported("cross_entropy", weight=weight)
    return _C.cross_entropy(input, target, _reduction(size_average, reduce, reduction), ignore_index,
                            label_smoothing)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _unsupported("mse_loss", weight=weight)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=2)
    return _C.mse_loss(input, target, _reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    _unsupported("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    return _C.binary_cross_entropy_with_logits(input, target, _reduction(size_average, reduce, reduction))


def relu(input, inplace=False):
    return input.relu_() if inplace else _C.relu(input)


def sigmoid(input):
    return _C.sigmoid(input)


def tanh(input):
    return _C.tanh(input)
