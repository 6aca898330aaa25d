"""ember.autograd: backward() and grad() over the native engine, and the grad-mode switches."""
from .. import _C
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401


def _as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, _C.TensorBase) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates d(tensors)/d(leaf) into each reachable leaf's .grad."""
    _C._run_backward(_as_list(tensors), _as_list(grad_tensors), retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Returns d(outputs)/d(inputs) as a tuple, without touching any .grad."""
    result = _C._run_grad(_as_list(outputs), _as_list(inputs), _as_list(grad_outputs), retain_graph,
                          create_graph, allow_unused)
    return tuple(result)


from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401
from . import forward_ad, functional  # noqa: E402,F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,  # noqa: E402,F401
                           set_detect_anomaly)
