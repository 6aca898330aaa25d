"""Module-level reductions and softmax, and max/min (also Tensor.max/min), whose result depends on
the arguments: x.max() is a 0-d tensor, x.max(dim) a (values, indices) pair, x.max(other) the elementwise maximum.
The work is native (_C); this file only picks which native op to call."""
from . import _C, return_types
from ._C import amax, amin, argmax, argmin, log_softmax, mean, softmax, std, var  # noqa: F401


def _pick(name, reduce_all, reduce_dim, pair_type, elementwise):
    def reduce(input, dim=None, keepdim=False):
        if isinstance(dim, _C.TensorBase):
            return elementwise(input, dim)
        if dim is None:
            if keepdim:
                raise TypeError(f"{name}() got keepdim=True without a dim; pass dim to keep it")
            return reduce_all(input)
        return pair_type(*reduce_dim(input, dim, keepdim))
    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (f"{name}(input) -> 0-d tensor; {name}(input, dim, keepdim=False) -> (values, indices); "
                      f"{name}(input, other) -> elementwise.")
    return reduce


max = _pick("max", _C._max_all, _C._max_dim, return_types.max, _C.maximum)
min = _pick("min", _C._min_all, _C._min_dim, return_types.min, _C.minimum)
