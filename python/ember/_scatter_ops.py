"""Writing into a tensor at int64 indices along one dim, with PyTorch's signatures and checks:
scatter (also with reduce='add'/'multiply' and a scalar value), scatter_reduce, index_add (with
alpha), index_copy and index_fill, and their in-place forms. Each runs on the native scatter,
scatter_reduce or index_add (csrc/ops/scatter_reduce.cpp, index_along_dim.cpp), so gradients come
from their backward formulas. The in-place forms write the out-of-place result back with copy_,
which bumps the version counter and rebases the history as any in-place op does. As PyTorch,
they refuse a source or index that shares memory with self (Note [Overlapping in-place writes])."""
import builtins
import warnings

from . import _C

_warned_scatter_reduce = False


def _write_back(op, self, result, *inputs):
    """self.copy_(result), after refusing inputs that share memory with self, as torch does."""
    for t in inputs:
        if isinstance(t, _C.TensorBase):
            _C._check_no_overlap(op, self, t)
    return self.copy_(result)


def _type_name(dtype):
    return {_C.dtype.float32: "Float", _C.dtype.float64: "Double", _C.dtype.int64: "Long",
            _C.dtype.int32: "Int", _C.dtype.bool: "Bool"}.get(dtype, str(dtype))


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
    return _write_back("scatter_", self, scatter(self, dim, index, src, value, reduce=reduce), index, src)


def scatter_add_(self, dim, index, src):
    return _write_back("scatter_add_", self, _C.scatter_add(self, dim, index, src), index, src)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    # prod/amax/amin save self for their backward: a copy, so writing the result back into self
    # does not invalidate it.
    saves_self = reduce in ("prod", "amax", "amin") and _C.is_grad_enabled() and (
        self.requires_grad or getattr(src, "requires_grad", False))
    base = self.clone() if saves_self else self
    return _write_back("scatter_reduce_", self, _C.scatter_reduce(base, dim, index, src, reduce,
                                                                  include_self=include_self), index, src)


def _check_in_range(idx, dim, size, message=None):
    """PyTorch's index_copy/index_fill (and index_add of a 1-D tensor) report an index out of range
    as IndexError, where the scatter kernels they run on raise RuntimeError: checked here first
    (on the CPU; a CUDA kernel reports its own bad indices at the next sync)."""
    if idx.device.type != "cpu" or idx.numel() == 0:
        return
    lo, hi = idx.amin().item(), idx.amax().item()
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexError(message or f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _vector_index(op, index, exc=IndexError):
    if index.dim() > 1:
        raise exc(f"{op}(): Index is supposed to be a vector, but got dim: {index.dim()} with type: "
                  f"{_type_name(index.dtype)} and size: {list(index.shape)}")
    return index.reshape(-1)


def _wrap_dim(dim, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _along(index, dim, shape):
    """A 1-D index as scatter's index over `shape`: index[j] at position j along dim, everywhere."""
    view = [1] * len(shape)
    view[dim] = index.shape[0]
    return index.view(view).expand(*shape)


def index_add(input, dim, index, source, *, alpha=1):
    """input with alpha * source[.., j, ..] added at input[.., index[j], ..] along dim
    (duplicates accumulate); differentiable w.r.t. input and source."""
    if index.dtype not in (_C.dtype.int64, _C.dtype.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_type_name(index.dtype)}")
    if input.dtype != source.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(input.dtype)}) and source ({_type_name(source.dtype)}) "
                           "must have the same scalar type")
    idx = _vector_index("index_add_", index)
    d = _wrap_dim(dim, input.dim())
    if source.dim() and input.dim() and idx.shape[0] != source.shape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.shape[0]}) should be equal to source.size(dim): "
                           f"({source.shape[d]}), for dim: {dim}")
    if input.dim() <= 1:
        _check_in_range(idx, d, input.shape[d] if input.dim() else 1, "index out of range in self")
    if alpha != 1:
        if input.dtype == _C.dtype.bool:
            source = source if alpha else source.new_zeros(source.shape)
        else:  # an integer tensor takes the integer part of alpha, as PyTorch's
            source = source * (alpha if input.is_floating_point() else int(alpha))
    return _C.TensorBase.index_add(input, dim, idx, source)


def index_add_(self, dim, index, source, *, alpha=1):
    return _write_back("index_add_", self, index_add(self, dim, index, source, alpha=alpha), index, source)


def index_copy(input, dim, index, source):
    """input with source[.., j, ..] written at input[.., index[j], ..] along dim (of duplicates the
    last one on the CPU); differentiable w.r.t. input (zero where written) and source."""
    if index.dtype != _C.dtype.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_type_name(index.dtype)}")
    if input.dtype != source.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_type_name(input.dtype)} and (source) {_type_name(source.dtype)}")
    idx = _vector_index("index_copy_", index)
    d = _wrap_dim(dim, input.dim())
    _check_in_range(idx, d, input.shape[d] if input.dim() else 1)
    if input.dim() == 0:
        return _C._scatter(input, 0, idx, source.reshape(-1))
    n = source.shape[d] if source.dim() else 1
    if idx.shape[0] != n:
        raise IndexError(f"index_copy_(): Number of indices ({idx.shape[0]}) should be equal to source.size(dim) "
                         f"({n})")
    expect = list(input.shape)
    expect[d] = n
    if list(source.shape) != expect:
        raise IndexError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                         f"shape: {list(input.shape)} at dimension {d} and source slice shape: {list(source.shape)} "
                         f"at dimension {d}.")
    return _C._scatter(input, d, _along(idx, d, expect), source)


def index_copy_(self, dim, index, source):
    return _write_back("index_copy_", self, index_copy(self, dim, index, source), index, source)


def index_fill(input, dim, index, value):
    """input with every slice index[j] along dim set to value (a number, or a 0-d tensor that gets
    the gradient of the filled elements); negative indices count from the end, as in PyTorch."""
    if index.dtype != _C.dtype.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if index.dim() > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, _C.TensorBase):
        if value.dim() != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        value = value._to_dtype(input.dtype)
    else:
        value = _C._full([], value, input.dtype, input.device)
    idx = index.reshape(-1)
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d] if input.dim() else 1
    idx = _C.where(idx < 0, idx + size, idx)
    _check_in_range(idx, d, size)
    if input.dim() == 0:
        return _C._scatter(input, 0, idx, value.expand(idx.shape[0]))
    shape = list(input.shape)
    shape[d] = idx.shape[0]
    return _C._scatter(input, d, _along(idx, d, shape), value.expand(*shape))


def index_fill_(self, dim, index, value):
    return _write_back("index_fill_", self, index_fill(self, dim, index, value), index)


scatter_reduce = _C.scatter_reduce
