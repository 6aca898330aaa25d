"""Finite-difference checks of first (gradcheck) and second (gradgradcheck) derivatives in float64,
reporting the worst element on failure."""
import numpy as np

from .. import _C
from . import grad as _grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _flat64(t):
    return t.detach().numpy().astype(np.float64).ravel().copy()


def _numerical_jacobian(fn, inputs, wrt, eps):
    """d(outputs)/d(inputs[wrt]) by central differences, one input element at a time."""
    x = inputs[wrt]
    flat = x.detach().numpy().reshape(-1)  # shares memory with x: perturb in place
    columns = []
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = [_flat64(o) for o in _as_tuple(fn(*inputs))]
        flat[i] = orig - eps
        minus = [_flat64(o) for o in _as_tuple(fn(*inputs))]
        flat[i] = orig
        columns.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    if not columns:  # an empty input: one row per output element, no columns (as the analytical one)
        return np.zeros((sum(o.numel() for o in _as_tuple(fn(*inputs))), 0))
    return np.stack(columns, axis=1)


def _analytical_jacobian(fn, inputs, wrt):
    outputs = [o for o in _as_tuple(fn(*inputs))]
    rows = []
    for out in outputs:
        for j in range(out.numel()):
            # An output that does not require grad (e.g. a first derivative that is constant in the
            # input) has a zero Jacobian row; the engine would refuse to differentiate it.
            g = None
            if out.requires_grad:
                seed = np.zeros(out.numel(), dtype=out.detach().numpy().dtype)
                seed[j] = 1.0
                g = _grad([out], [inputs[wrt]], [_C.from_numpy(seed.reshape(out.shape))],
                          retain_graph=True, allow_unused=True)[0]
            rows.append(np.zeros(inputs[wrt].numel()) if g is None else _flat64(g))
    return np.stack(rows, axis=0) if rows else np.zeros((0, inputs[wrt].numel()))


def _check_float64(what, inputs):
    for i, x in enumerate(inputs):
        if isinstance(x, _C.TensorBase) and x.requires_grad and x.dtype != _C.dtype.float64:
            raise GradcheckError(f"{what}: input {i} requires grad but is {x.dtype}; use float64")


def _compare_jacobians(what, fn, inputs, eps, atol, rtol, raise_exception, input_names):
    for i, x in enumerate(inputs):
        if not (isinstance(x, _C.TensorBase) and x.requires_grad):
            continue
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        analytical = _analytical_jacobian(fn, inputs, i)
        if numerical.shape != analytical.shape:
            raise GradcheckError(f"{what}: Jacobian shapes differ for {input_names(i)}: "
                                 f"{numerical.shape} vs {analytical.shape}")
        diff = np.abs(numerical - analytical)
        bound = atol + rtol * np.abs(numerical)
        if np.any(diff > bound):
            r, c = np.unravel_index(np.argmax(diff - bound), diff.shape)
            msg = (f"{what}: Jacobian mismatch for {input_names(i)}: d(output element {r})/d(input element {c}) "
                   f"numerical={numerical[r, c]:.8g} analytical={analytical[r, c]:.8g} "
                   f"(worst |diff|={diff[r, c]:.3g})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the analytical gradients of `fn` at `inputs` against central finite differences.

    Inputs that require grad must be float64. Returns True, or raises GradcheckError naming the
    input, the output element and the input element where the two Jacobians differ most."""
    inputs = _as_tuple(inputs)
    _check_float64("gradcheck", inputs)
    return _compare_jacobians("gradcheck", fn, inputs, eps, atol, rtol, raise_exception, lambda i: f"input {i}")


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks second derivatives of `fn` at `inputs` against finite differences of its first derivatives.

    As in PyTorch: the function checked is (inputs, grad_outputs) -> autograd.grad(fn(inputs), inputs,
    grad_outputs, create_graph=True); its analytical Jacobian (a double backward) is compared with
    central differences of it. grad_outputs default to random float64 tensors (fixed seed, so a
    failure reproduces). Returns True, or raises GradcheckError naming the worst element."""
    inputs = _as_tuple(inputs)
    _check_float64("gradgradcheck", inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, _C.TensorBase) and x.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_C.from_numpy(rng.standard_normal(tuple(o.shape))).requires_grad_(True)
                             for o in outputs if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    _check_float64("gradgradcheck", grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        xs, gs = args[:n], args[n:]
        outs = [o for o in _as_tuple(fn(*xs)) if o.requires_grad]
        if len(outs) != len(gs):
            raise GradcheckError(f"gradgradcheck: {len(gs)} grad_outputs given for {len(outs)} differentiable "
                                 "outputs")
        grads = _grad(outs, [xs[i] for i in wrt], list(gs), create_graph=True, allow_unused=True)
        # An input the outputs do not use has a zero first derivative (a constant, not an error).
        return tuple(_C.from_numpy(np.zeros(tuple(xs[i].shape))) if g is None else g
                     for i, g in zip(wrt, grads))

    def name(i):
        return f"input {i}" if i < n else f"grad_output {i - n}"

    what = "gradgradcheck (second derivatives)"
    return _compare_jacobians(what, first_derivatives, inputs + grad_outputs, eps, atol, rtol,
                              raise_exception, name)
