"""nn.Parameter: a Tensor that a Module registers as one of its parameters when assigned as an
attribute. It is a leaf aliasing the storage of the data it was made from (see Note [Parameter
construction] in csrc/bindings/init_nn_layers.cpp)."""
from .. import _C
from ..tensor import Tensor


class Parameter(Tensor):
    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C._empty([0], _C.dtype.float32, _C.device("cpu"))
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        super().__init__(data, requires_grad)

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

    # `p.data` is a detached alias of p; `p.data = t` writes t's values into p (PyTorch swaps the
    # storage instead; copying keeps the identity of p, which is what optimizers hold on to).
    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value):
        if value.data_ptr() == self.data_ptr() and tuple(value.shape) == tuple(self.shape) \
                and value.stride() == self.stride():
            return  # `p.data -= x` assigns back the alias it just updated in place
        if tuple(value.shape) != tuple(self.shape):
            raise RuntimeError(f"[Parameter.data] ember can't change a parameter's shape in place "
                               f"({tuple(self.shape)} -> {tuple(value.shape)}); assign a new Parameter instead")
        self.detach().copy_(value)
