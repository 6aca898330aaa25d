"""Finite-difference gradient checks (float64), reporting the worst element on failure."""
import numpy as np

from .. import _C
from . import grad as _grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numerical_jacobian(fn, inputs, wrt, eps):
    """d(outputs)/d(inputs[wrt]) by central differences, one input element at a time."""
    x = inputs[wrt]
    flat = x.detach().numpy().reshape(-1)  # shares memory with x: perturb in place
    columns = []
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _as_tuple(fn(*inputs))]
        flat[i] = orig - eps
        minus = [o.detach().numpy().astype(np.float64).ravel().copy() for o in _as_tuple(fn(*inputs))]
        flat[i] = orig
        columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def _analytical_jacobian(fn, inputs, wrt):
    outputs = [o for o in _as_tuple(fn(*inputs))]
    rows = []
    for k, out in enumerate(outputs):
        for j in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.detach().numpy().dtype)
            seed[j] = 1.0
            g = _grad([out], [inputs[wrt]], [_C.from_numpy(seed.reshape(out.shape))],
                      retain_graph=True, allow_unused=True)[0]
            rows.append(np.zeros(inputs[wrt].numel()) if g is None else g.numpy().astype(np.float64).ravel())
    return np.stack(rows, axis=0) if rows else np.zeros((0, inputs[wrt].numel()))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the analytical gradients of `fn` at `inputs` against central finite differences.

    Inputs that require grad must be float64. Returns True, or raises GradcheckError naming the
    input, the output element and the input element where the two Jacobians differ most."""
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, _C.Tensor) and x.requires_grad and x.dtype != _C.dtype.float64:
            raise GradcheckError(f"gradcheck: input {i} requires grad but is {x.dtype}; use float64")
    for i, x in enumerate(inputs):
        if not (isinstance(x, _C.Tensor) and x.requires_grad):
            continue
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        analytical = _analytical_jacobian(fn, inputs, i)
        if numerical.shape != analytical.shape:
            raise GradcheckError(f"gradcheck: Jacobian shapes differ for input {i}: "
                                 f"{numerical.shape} vs {analytical.shape}")
        diff = np.abs(numerical - analytical)
        bound = atol + rtol * np.abs(numerical)
        if np.any(diff > bound):
            r, c = np.unravel_index(np.argmax(diff - bound), diff.shape)
            msg = (f"gradcheck: Jacobian mismatch for input {i}: d(output element {r})/d(input element {c}) "
                   f"numerical={numerical[r, c]:.8g} analytical={analytical[r, c]:.8g} "
                   f"(worst |diff|={diff[r, c]:.3g})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
