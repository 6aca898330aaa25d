"""Gradient clipping over a model's parameters. On the CPU the norm is computed by native
reductions, one per parameter gradient, stacked and reduced once more. On CUDA two multi-tensor
ops do it (ember._C._grad_norm, _scale_grads_): the norm, the clip coefficient and the scaling
all stay on the device, so clipping never waits for the GPU (unless error_if_nonfinite asks for
the norm's value, as in PyTorch)."""
import math

from ... import _C
from ...autograd.grad_mode import no_grad
from ...factories import tensor as _tensor
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales all gradients together so that their joint norm is at most max_norm; returns the
    joint norm (before clipping) as a 0-d tensor."""
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return _tensor(0.0)
    if grads[0].device.type != "cpu":
        return _clip_on_device(grads, max_norm, norm_type, error_if_nonfinite)
    with no_grad():
        dtype = grads[0].dtype  # per-gradient norms are combined in the first gradient's dtype
        if norm_type == math.inf:
            total = _C.stack([g.abs().amax()._to_dtype(dtype) for g in grads], 0).amax()
        elif norm_type == 2.0:
            total = _C.stack([(g * g).sum()._to_dtype(dtype) for g in grads], 0).sum().sqrt()
        else:
            per_grad = [(g.abs() ** norm_type).sum()._to_dtype(dtype) for g in grads]
            total = _C.stack(per_grad, 0).sum() ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(_nonfinite_message(norm_type))
        # The scale stays a tensor (no host round trip); gradients under the limit are scaled by 1.
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef)
    return total


def _clip_on_device(grads, max_norm, norm_type, error_if_nonfinite):
    with no_grad():
        total = _C._grad_norm(grads, norm_type)  # 0-d, on the device
        if error_if_nonfinite and not math.isfinite(total.item()):  # a sync, as in PyTorch
            raise RuntimeError(_nonfinite_message(norm_type))
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        _C._scale_grads_(grads, coef)
    return total


def _nonfinite_message(norm_type):
    return (f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
