"""Forward-mode AD with PyTorch's interface (torch.autograd.forward_ad): dual_level, make_dual, unpack_dual.

Note [Forward mode by double vjp]
ember has no per-op tangent (JVP) rules; every op has a reverse-mode rule written in ember ops, so
a vector-Jacobian product is itself differentiable. For y = f(x) the vjp g(u) = uᵀJ is linear in u,
so its own vjp with cotangent v is J·v:

    J·v = d/du [ (uᵀJ) · v ] = grad(grad(y, x, u, create_graph=True), u, v)

with u a dummy tensor (zeros, requiring grad; the value does not matter, g is linear in u).

Inside a `dual_level()`, `make_dual(primal, tangent)` returns an alias of the primal that requires
grad and remembers (alias, tangent). Ordinary ops on it record the ordinary backward graph, and
`unpack_dual(y)` computes y's tangent as  sum_i J_i·v_i  over all registered duals x_i with
tangents v_i, by the identity above. The cost is plain: about two reverse passes over y's graph
per `unpack_dual` call (one vjp with create_graph=True, one through it), nothing per op during the
forward pass. The result equals true forward mode (exactly the same J·v, up to rounding), which the
tests check against torch.func.jvp and torch.autograd.forward_ad.

Consequences of computing tangents after the fact:
- ops between make_dual and unpack_dual must record a graph (grad mode on, as for backward);
- a tensor that does not depend on any dual has tangent None, as in PyTorch;
- leaving the level forgets all duals, so unpack_dual then returns tangent None;
- the dual returned by make_dual requires grad even when the primal did not (it is how the graph
  is recorded); when the primal requires grad the dual is a view of it, so reverse mode still
  reaches the primal through it.
"""
from collections import namedtuple

from .. import _C
from . import grad as _grad
from ..factories import zeros_like
from .grad_mode import enable_grad

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    """The duals made at one level: (alias, tangent) pairs, in creation order."""

    def __init__(self, index):
        self.index = index
        self.duals = []

    def tangent_of(self, t):
        for alias, tangent in self.duals:
            if alias is t:
                return tangent
        return None


_current_level = None  # ember, like PyTorch today, supports a single (non-nested) level


def enter_dual_level():
    """Enters a new forward-AD level and returns its index (0)."""
    global _current_level
    if _current_level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = _Level(0)
    return _current_level.index


def exit_dual_level(*, level=None):
    """Leaves the current level; every dual made in it loses its tangent."""
    global _current_level
    if _current_level is None or (level is not None and level != _current_level.index):
        raise RuntimeError(f"Trying to exit a forward AD level that was not the last one that was created "
                           f"(level={level}). This is not supported.")
    _current_level = None


class dual_level:
    """Context manager for forward AD: tangents exist only inside it (as torch.autograd.forward_ad)."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def _level(level, what):
    if _current_level is None:
        raise RuntimeError(f"Trying to {what} for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if level is not None and level != _current_level.index:
        raise RuntimeError(f"Trying to {what} for forward AD at level {level}, which does not exist "
                           f"(the current level is {_current_level.index}).")
    return _current_level


def make_dual(tensor, tangent, *, level=None):
    """Returns a tensor whose value is `tensor` and whose tangent (forward gradient) is `tangent`."""
    lvl = _level(level, "create a dual Tensor")
    if not isinstance(tensor, _C.TensorBase) or not isinstance(tangent, _C.TensorBase):
        raise TypeError(f"make_dual expects Tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if tangent.dtype != tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    with enable_grad():
        # A view keeps the primal's own history (reverse mode still reaches it); a fresh leaf otherwise.
        alias = tensor.view(tuple(tensor.shape)) if tensor.requires_grad else tensor.detach().requires_grad_(True)
    lvl.duals.append((alias, tangent.detach()))
    return alias


def _tangent(y, lvl):
    """J·v for y, summed over the level's duals (Note [Forward mode by double vjp])."""
    direct = lvl.tangent_of(y)
    if direct is not None:
        return direct
    if not (y.requires_grad and y.is_floating_point()) or not lvl.duals:
        return None
    xs = [alias for alias, _ in lvl.duals]
    with enable_grad():
        u = zeros_like(y).requires_grad_(True)
        vjps = _grad([y], xs, [u], retain_graph=True, create_graph=True, allow_unused=True)
        used = [(g, v) for g, (_, v) in zip(vjps, lvl.duals) if g is not None]
        if not used:
            return None  # y does not depend on any dual
        # A vjp that does not depend on u cannot occur for a linear map unless it is zero.
        live = [(g, v) for g, v in used if g.requires_grad]
        if not live:
            return zeros_like(y)
        jv = _grad([g for g, _ in live], [u], [v for _, v in live], allow_unused=True)[0]
    return zeros_like(y) if jv is None else jv.detach()


def unpack_dual(tensor, *, level=None):
    """Returns (primal, tangent): the tensor's value and its tangent at the level (None when it has none).

    The primal is the tensor itself (ember keeps no tangent on tensors, see the module docstring)."""
    if _current_level is None or (level is not None and level != _current_level.index):
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(tensor, _tangent(tensor, _current_level))
