"""nn.Parameter: a Tensor that a Module registers as one of its parameters when assigned as an
attribute. It is a leaf aliasing the storage of the data it was made from (see Note [Parameter
construction] in csrc/bindings/init_nn_layers.cpp)."""
from .. import _C
from ..tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C._empty([0], _C._get_default_dtype(), _C.device("cpu"))
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        _C.TensorBase.__init__(self, data, requires_grad)  # Note [Parameter construction]

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        raise TypeError("ember tensors are not picklable; save state dicts with ember.save")
