"""Tensor factories with PyTorch's signatures: `zeros(2, 3)`, `zeros((2, 3), dtype=...)`, ..."""
import builtins
import warnings

import numpy as np

from . import _C
from .tensor import Tensor

_NUMPY_TO_EMBER = {
    np.dtype(np.float32): _C.dtype.float32,
    np.dtype(np.float64): _C.dtype.float64,
    np.dtype(np.int64): _C.dtype.int64,
    np.dtype(np.int32): _C.dtype.int32,
    np.dtype(np.bool_): _C.dtype.bool,
}
_EMBER_TO_NUMPY = {v: k for k, v in _NUMPY_TO_EMBER.items()}


def _size(name, size):
    if len(size) == 1 and not isinstance(size[0], int) and hasattr(size[0], "__iter__"):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int) or isinstance(s, builtins.bool):
            raise TypeError(f"[{name}] size must be ints, got {type(s).__name__}")
    return list(size)


def _device(device):
    if device is None:
        return _C.device("cpu")
    return device if isinstance(device, _C.device) else _C.device(str(device))


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- the default dtype (Note [Default dtype], csrc/core/default_dtype.h): one native global that
# the C++ ops read too; these are torch's spellings of it.

_CANONICAL_DTYPES = {d: d for d in (_C.dtype.float32, _C.dtype.float64, _C.dtype.int64, _C.dtype.bool)}


def get_default_dtype():
    """The floating dtype Python floats and the float factories give (float32 unless set)."""
    return _CANONICAL_DTYPES[_C._get_default_dtype()]  # the module's own object: `is ember.float64` holds


def set_default_dtype(d):
    """Sets the default floating dtype: float32 or float64 (anything else is a TypeError, as in torch)."""
    if not isinstance(d, _C.dtype):
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    _C._set_default_dtype(d)


_LEGACY_TENSOR_TYPES = {"FloatTensor": _C.dtype.float32, "DoubleTensor": _C.dtype.float64,
                        "LongTensor": _C.dtype.int64, "BoolTensor": _C.dtype.bool}


def set_default_tensor_type(t):
    """The deprecated torch spelling: set_default_tensor_type('torch.DoubleTensor') is
    set_default_dtype(float64). Only the CPU type names ('torch.X' or 'ember.X') are known."""
    warnings.warn("ember.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "ember.set_default_dtype() and ember.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    if not isinstance(t, str):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    module, _, name = t.rpartition(".")
    if module not in ("torch", "ember") or name not in _LEGACY_TENSOR_TYPES:
        raise TypeError(f"invalid type: '{t}' (expected a CPU tensor type name such as 'torch.DoubleTensor')")
    d = _LEGACY_TENSOR_TYPES[name]
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    set_default_dtype(d)


def _dtype_of_data(arr, data=None):
    """The ember dtype PyTorch would infer for data that NumPy parsed into `arr`: a NumPy float
    scalar keeps its dtype, a float32 array only comes from NumPy float32 elements (kept too), and
    Python floats give the default dtype."""
    kind = arr.dtype.kind
    if kind == "b":
        return _C.dtype.bool
    if kind in "iu":
        return _C.dtype.int64
    if kind == "f":
        if isinstance(data, np.floating) or arr.dtype == np.float32:
            return _NUMPY_TO_EMBER.get(arr.dtype, _C._get_default_dtype())
        return _C._get_default_dtype()
    raise TypeError(f"[tensor] can't build a tensor from data of type {arr.dtype} "
                    "(expected numbers, bools, or nested lists of them)")


_INT_RANGE = {_C.dtype.int32: (-2**31, 2**31 - 1), _C.dtype.int64: (-2**63, 2**63 - 1)}


def _parse_data(data, dtype):
    """NumPy's parse of Python data, refusing integers past int64 as PyTorch does (NumPy would
    fall back to uint64 or Python objects); they are allowed when a floating dtype is asked for."""
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(f"[tensor] expected a rectangular nested sequence of numbers: {e}") from None
    if arr.dtype.kind == "u" or (arr.dtype == object and _all_ints(arr)):
        if dtype is None or dtype not in (_C.dtype.float32, _C.dtype.float64):
            raise ValueError("[tensor] Overflow when unpacking long long: an integer does not fit in int64")
        arr = np.array(arr.tolist(), dtype=np.float64)
    if arr.dtype == object:
        raise TypeError(f"[tensor] could not infer dtype of {type(data).__name__} "
                        "(expected numbers, bools, or nested lists of them)")
    return arr


def _all_ints(arr):
    return builtins.all(isinstance(v, int) for v in arr.reshape(-1).tolist())


def _check_fits(arr, target):
    """PyTorch refuses Python data that an integer dtype can't hold (NaN included), rather than
    wrapping it: torch.tensor([2**40], dtype=torch.int32) raises."""
    if target not in _INT_RANGE or arr.size == 0 or arr.dtype.kind == "b":
        return
    lo, hi = _INT_RANGE[target]
    if arr.dtype.kind == "f" and np.isnan(arr).any() or arr.min() < lo or arr.max() > hi:
        raise RuntimeError(f"[tensor] value cannot be converted to type {str(target).replace('ember.', '')} "
                           "without overflow")


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (a number, nested lists, a NumPy array or a Tensor)."""
    if isinstance(data, Tensor):
        t = data.detach().clone()
        if dtype is not None:
            t = t._to_dtype(dtype)
        return _finish(t if device is None else t._to_device(_device(device)), requires_grad)
    if isinstance(data, np.ndarray):
        arr = data
        target = dtype if dtype is not None else _NUMPY_TO_EMBER.get(arr.dtype) or _dtype_of_data(arr)
    else:
        arr = _parse_data(data, dtype)
        target = dtype if dtype is not None else _dtype_of_data(arr, data)
        _check_fits(arr, target)
    arr = np.array(arr, dtype=_EMBER_TO_NUMPY[target], order="C", copy=True)
    t = _C.from_numpy(arr)
    _C._set_resizable(t)  # the copy is ours alone, so resize_ may grow it, as torch.tensor's memory
    return _finish(t if device is None else t._to_device(_device(device)), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or Tensor where it can."""
    if isinstance(data, Tensor):
        out = data if dtype is None or data.dtype == dtype else data._to_dtype(dtype)
        return out if device is None else out._to_device(_device(device))
    if isinstance(data, np.ndarray) and (dtype is None or _EMBER_TO_NUMPY.get(dtype) == data.dtype) \
            and data.dtype in _NUMPY_TO_EMBER and (device is None or _device(device).type == "cpu"):
        return _C.from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def _make(fn, name):
    def factory(*size, dtype=None, device=None, requires_grad=False):
        t = fn(_size(name, size), dtype if dtype is not None else _C._get_default_dtype(), _device(device))
        return _finish(t, requires_grad)
    factory.__name__ = name
    factory.__doc__ = f"{name}(*size, dtype=None, device=None, requires_grad=False)"
    return factory


zeros = _make(_C._zeros, "zeros")
ones = _make(_C._ones, "ones")
empty = _make(_C._empty, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (_C.dtype.bool if isinstance(fill_value, builtins.bool) else
                 _C.dtype.int64 if isinstance(fill_value, int) else _C._get_default_dtype())
    return _finish(_C._full(_size("full", (size,)), fill_value, dtype, _device(device)), requires_grad)


def _like(fn):
    def like(t, dtype=None, device=None, requires_grad=False):
        return fn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = _C.dtype.int64 if is_int else _C._get_default_dtype()
    return _finish(_C._arange(start, end, step, dtype, _device(device)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _finish(_C._linspace(start, end, steps, dtype or _C._get_default_dtype(), _device(device)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _finish(_C._eye(n, n if m is None else m, dtype or _C._get_default_dtype(), _device(device)), requires_grad)

