"""parameters_to_vector / vector_to_parameters: one flat vector <-> the parameters' values."""
from ... import _C
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated (one native cat; differentiable)."""
    return _C.cat([p.reshape(-1) for p in parameters], 0)


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of vec into the parameters, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].view_as(p))
            offset += n
