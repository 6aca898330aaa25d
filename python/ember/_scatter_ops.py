"""Writing into a tensor at int64 indices along one dim, with PyTorch's signatures and checks:
scatter (also with reduce='add'/'multiply' and a scalar value) and scatter_reduce, and their
in-place forms. Each runs on the native scatter or scatter_reduce (csrc/ops/scatter_reduce.cpp),
so gradients come from their backward formulas. The in-place forms write the out-of-place result back with copy_,
which bumps the version counter and rebases the history as any in-place op does."""
import warnings

from . import _C

_warned_scatter_reduce = False


def _type_name(dtype):
    return {_C.dtype.float32: "Float", _C.dtype.float64: "Double", _C.dtype.int64: "Long",
            _C.dtype.bool: "Bool"}.get(dtype, str(dtype))


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with src's (or a scalar value's) elements written at index along dim; with reduce
    ('add' or 'multiply') combined with what is there instead. Differentiable w.r.t. input (zero
    gradient where written, unless reduced) and src. Of duplicate indices the last one written
    wins on the CPU (PyTorch leaves it unspecified)."""
    global _warned_scatter_reduce
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() received an invalid combination of arguments: expected a Tensor src or a "
                        "Number value")
    if isinstance(src, _C.TensorBase):
        if reduce is not None and not _warned_scatter_reduce:
            _warned_scatter_reduce = True
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
    else:
        src = _C._full(list(index.shape), src, input.dtype, input.device)
    if reduce is None:
        return _C._scatter(input, dim, index, src)
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    return _C.scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod", include_self=True)


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    return self.copy_(scatter(self, dim, index, src, value, reduce=reduce))


def scatter_add_(self, dim, index, src):
    return self.copy_(_C.scatter_add(self, dim, index, src))


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    # prod/amax/amin save self for their backward: a copy, so writing the result back into self
    # does not invalidate it.
    saves_self = reduce in ("prod", "amax", "amin") and _C.is_grad_enabled() and (
        self.requires_grad or getattr(src, "requires_grad", False))
    base = self.clone() if saves_self else self
    return self.copy_(_C.scatter_reduce(base, dim, index, src, reduce, include_self=include_self))


scatter_reduce = _C.scatter_reduce
