"""ember.Tensor: the native base class _C.TensorBase (ops, views, autograd, bound in
csrc/bindings/) plus, here, all the Python-level methods in one place: printing, NumPy/Python
conversions, to()/cpu()/cuda(), backward() and small sugar. Nothing here runs per element; the
maths stays native.

Every tensor C++ returns is an instance of this class (Note [Tensors surface as ember.Tensor] in
csrc/bindings/init_tensor.cpp), so `type(ember.zeros(2)) is ember.Tensor`; nn.Parameter subclasses
it. isinstance(x, _C.TensorBase) is the same test as isinstance(x, ember.Tensor), for modules that
load before this one."""
import builtins
import math
import numbers

import numpy as np

from . import _C, _composite_ops, _reductions, _scatter_ops


# ---- printing, in PyTorch's style: tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)

def _summarized(arr, edgeitems=3):
    """The elements PyTorch looks at to choose a format when it prints "..." (the edges only)."""
    for d in builtins.range(arr.ndim):
        if arr.shape[d] > 2 * edgeitems:
            idx = list(builtins.range(edgeitems)) + list(builtins.range(arr.shape[d] - edgeitems, arr.shape[d]))
            arr = np.take(arr, idx, axis=d)
    return arr


def _element_formatter(arr, summarize):
    """Mirrors torch._tensor_str._Formatter: one width for all elements, chosen from the finite
    nonzero values; scientific notation when they span more than 1000x, exceed 1e8 or go below 1e-4."""
    sample = _summarized(arr) if summarize else arr
    if arr.dtype.kind in "biu":
        text = (lambda v: "True" if v else "False") if arr.dtype == np.bool_ else str
        width = max((len(text(v)) for v in sample.flat), default=1)
        return lambda v: text(v).rjust(width)
    vals = sample[np.isfinite(sample) & (sample != 0)].astype(np.float64)
    int_mode, sci_mode, width = True, False, 1
    if vals.size:
        lo, hi = np.abs(vals).min(), np.abs(vals).max()
        int_mode = builtins.bool(np.all(vals == np.ceil(vals)))
        sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if sci_mode:
            width = max(len(f"{v:.4e}") for v in vals)
        elif int_mode:
            width = max(len(f"{v:.0f}") + 1 for v in vals)
        else:
            width = max(len(f"{v:.4f}") for v in vals)

    def one(v):
        v = builtins.float(v)
        if sci_mode:
            return f"{v:{width}.4e}"
        if int_mode:
            return f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        return f"{v:.4f}"
    return lambda v: one(v).rjust(width)


def _host(t):
    """t's values on the host (a copy, and a sync, when it lives on a GPU)."""
    t = t.detach()
    return t if t.device.type == "cpu" else t._to_device(_C.device("cpu"))


# ---- to()'s arguments, shared with nn.Module.to

def _as_device(device):
    if isinstance(device, _C.device):
        return device
    if isinstance(device, builtins.int) and not isinstance(device, builtins.bool):
        return _C.device("cuda", device)  # as in PyTorch, an index names a CUDA device
    if isinstance(device, str):
        return _C.device(device)
    raise TypeError(f"expected a device (str, ember.device or int), got {type(device).__name__}")


def parse_to(args, kwargs, copy_allowed=True):
    """(device, dtype, non_blocking, copy) from the arguments of Tensor.to / nn.Module.to, in
    PyTorch's forms:
        to(dtype, non_blocking=False, copy=False)
        to(device=None, dtype=None, non_blocking=False, copy=False)
        to(tensor, non_blocking=False, copy=False)       # tensor's device and dtype
    Positional arguments fill the names of the form their first one picks; keywords may follow.
    nn.Module.to takes no copy (copy_allowed=False), and raises as PyTorch's does when given one."""
    first = args[0] if args else None
    if isinstance(first, _C.TensorBase):
        names = ("other", "non_blocking", "copy")
    elif isinstance(first, _C.dtype):
        names = ("dtype", "non_blocking", "copy")
    else:
        names = ("device", "dtype", "non_blocking", "copy")
    if len(args) > len(names):
        raise TypeError(f"to() takes at most {len(names)} positional arguments ({', '.join(names)}), "
                        f"got {len(args)}")
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names or key == "other":
            raise TypeError(f"to() got an unexpected keyword argument '{key}'")
        if key in bound:
            raise TypeError(f"to() got multiple values for argument '{key}'")
        bound[key] = value
    if "copy" in bound and not copy_allowed:
        raise RuntimeError(".to() does not accept copy argument")  # PyTorch's words, for Module.to
    device, dtype = bound.get("device"), bound.get("dtype")
    if "other" in bound:
        device, dtype = bound["other"].device, bound["other"].dtype
    if dtype is not None and not isinstance(dtype, _C.dtype):
        raise TypeError(f"to() expected a dtype, got {type(dtype).__name__}")
    flags = [bound.get("non_blocking", False), bound.get("copy", False)]
    if not all(isinstance(f, builtins.bool) for f in flags):
        raise TypeError(f"to() expected bools for non_blocking and copy, got {[type(f).__name__ for f in flags]}")
    return (None if device is None else _as_device(device), dtype, *flags)


def _legacy_new(args, device):
    """What torch.Tensor(...) builds: Tensor() an empty tensor, Tensor(2, 3) or Tensor(Size) an
    uninitialised tensor of that size, Tensor(data) a tensor of the data (a list, NumPy array ...),
    each of the default dtype (torch.Tensor is the default tensor type); Tensor(tensor) that
    tensor itself (aliased)."""
    from .factories import empty, tensor
    from .size import Size
    if len(args) == 1 and isinstance(args[0], _C.TensorBase):
        return args[0]
    if not args:
        return empty(0, device=device)
    if len(args) == 1 and isinstance(args[0], Size) or all(
            isinstance(a, int) and not isinstance(a, builtins.bool) for a in args):
        return empty(*args, device=device)
    if len(args) > 1:
        raise TypeError(f"new(): expected sizes (ints) or one sequence of data, got {len(args)} arguments")
    data = args[0]
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, numbers.Number):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return tensor(data, dtype=_C._get_default_dtype(), device=device)  # the default type's dtype


class Tensor(_C.TensorBase):
    # No per-instance __dict__: the layout must stay _C.TensorBase's, and `x.attr = 1` raises as it
    # does on the base (nn.Parameter, a subclass without __slots__, does take attributes).
    __slots__ = ()
    __module__ = "ember"
    __array_priority__ = 1000  # ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, *args, device=None):
        """ember.Tensor(data) / ember.Tensor(*sizes) / ember.Tensor(): PyTorch's legacy constructor
        (a new leaf over the memory _legacy_new made; Note [Parameter construction])."""
        _C.TensorBase.__init__(self, _legacy_new(args, device), False)

    # ---- printing, in PyTorch's style: tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)

    def __repr__(self):
        arr = _host(self).numpy()
        suffix = []
        if self.dtype not in (_C._get_default_dtype(), _C.dtype.int64, _C.dtype.bool):  # as torch's _tensor_str
            suffix.append(f"dtype={self.dtype}")
        if arr.size == 0 and arr.ndim == 1:
            body = "[]"
        else:
            fmt = _element_formatter(arr, summarize=arr.size > 1000)
            body = np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                                   max_line_width=80, formatter={"all": fmt})
            body = body.replace(", ..., ", ",  ..., ")  # PyTorch's elided element is " ..."
        if arr.size == 0 and arr.ndim > 1:
            suffix.insert(0, f"size={tuple(arr.shape)}")
        if self.grad_fn is not None:
            suffix.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            suffix.append("requires_grad=True")
        if self.device.type == "cuda":
            suffix.insert(0, f"device='{self.device}'")
        return "tensor(" + ", ".join([body] + suffix) + ")"

    __str__ = __repr__

    # ---- Python and NumPy conversions

    def tolist(self):
        return _host(self).numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        arr = _host(self).numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in builtins.range(self.shape[0]))

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} values is ambiguous")
        return builtins.bool(self.item())

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        return builtins.int(self.item())

    def __format__(self, format_spec):
        """A 0-d tensor formats as its number ('{:+.2f}'.format(loss)); others only with '', as in PyTorch."""
        if self.dim() == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __contains__(self, element):
        if isinstance(element, (_C.TensorBase, numbers.Number)):
            return builtins.bool((self == element).any().item())
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}.")

    @property
    def nbytes(self):
        return self.numel() * self.element_size()

    @property
    def itemsize(self):
        return self.element_size()

    # ---- autograd

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Computes the gradient of this tensor w.r.t. the graph leaves (into their .grad)."""
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...) is not supported yet; use ember.autograd.grad")
        self._backward(gradient, retain_graph, create_graph)

    def retain_grad(self):
        """Makes .grad of this non-leaf tensor be populated by backward()."""
        self._retain_grad()

    # ---- reductions whose result depends on the arguments (see _reductions.py)

    max = _reductions.max
    min = _reductions.min

    # ---- devices and dtypes

    def to(self, *args, **kwargs):
        """Casts and/or moves (the forms are parse_to's). As in PyTorch, a copy from pinned memory
        (pin_memory()) waits for the device unless non_blocking=True; from pageable memory the
        bytes are staged at once and the host never waits. Device-to-host copies wait, as the host
        reads the result next."""
        device, dtype, non_blocking, copy = parse_to(args, kwargs)
        out = self
        if device is not None:
            out = out._to_device(device, non_blocking)
        if dtype is not None:
            out = out._to_dtype(dtype)
        if copy and out is self:
            out = out.clone()
        return out

    def cpu(self):
        return self._to_device(_C.device("cpu"))

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            dev = _C.device("cuda", _C._cuda_current_device()) if _C._cuda_is_available() else _C.device("cuda")
        else:
            dev = _as_device(device)
        return self._to_device(dev, non_blocking)

    def type_as(self, other):
        return self._to_dtype(other.dtype)

    def type(self, dtype=None, non_blocking=False):
        """type() the legacy type name ('ember.FloatTensor'); type(dtype) the cast to dtype."""
        if dtype is None:
            return _LEGACY_TYPE_NAMES[self.dtype]
        return self._to_dtype(dtype)

    # ---- new tensors like this one (its dtype and device unless told otherwise)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from .factories import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .factories import empty
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .factories import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .factories import ones
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from .factories import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    # ---- views and copies composed of native ones (each differentiable through them)

    def repeat(self, *sizes):
        """Tiles the tensor sizes[i] times along dim i: a view per dim, expanded, then one copy (always:
        the result never shares memory with self, as PyTorch's, even where a view could express it)."""
        if len(sizes) == 1 and not isinstance(sizes[0], int):
            sizes = tuple(sizes[0])
        if len(sizes) < self.dim():
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               "of tensor")
        shape = (1,) * (len(sizes) - self.dim()) + tuple(self.shape)
        out = [r * s for r, s in zip(sizes, shape)]
        if builtins.any(r < 0 for r in sizes):
            raise RuntimeError(f"[repeat] Trying to create tensor with negative dimension: repeats {tuple(sizes)}")
        # Python's ints do not wrap: say so here rather than let the expand below name itself.
        if builtins.any(v >= 1 << 63 for v in out) or math.prod(out) >= 1 << 63:
            raise RuntimeError(f"[repeat] numel: integer multiplication overflow: repeats {tuple(sizes)} of size "
                               f"{tuple(self.shape)}")
        interleaved = [v for s in shape for v in (1, s)]
        expanded = [v for r, s in zip(sizes, shape) for v in (r, s)]
        # clone: a repeat never shares the input's memory, even when every repeat is 1
        return self.reshape(interleaved).expand(expanded).clone().view(out)

    def unbind(self, dim=0):
        return tuple(self.select(dim, i) for i in builtins.range(self.shape[dim]))

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def broadcast_to(self, size):
        return self.expand(*size) if not isinstance(size, int) else self.expand(size)

    def masked_fill(self, mask, value):
        """value where mask is true, self elsewhere (mask broadcasts; value keeps self's dtype)."""
        if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.dtype.bool:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                               f"{getattr(mask, 'dtype', type(mask).__name__)}")
        if isinstance(value, _C.TensorBase) and value.dim() != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        fill = value._to_dtype(self.dtype) if isinstance(value, _C.TensorBase) else \
            _C._full([], value, self.dtype, self.device)
        return _C.where(mask, fill, self)

    def where(self, condition, other):
        """self where condition is true, other elsewhere (torch's Tensor.where)."""
        return _C.where(condition, self, other)

    def masked_fill_(self, mask, value):
        return self.copy_(self.masked_fill(mask, value))

    flip, roll, tril, triu, diag = (_composite_ops.flip, _composite_ops.roll, _composite_ops.tril,
                                    _composite_ops.triu, _composite_ops.diag)
    outer, dot, mv = _composite_ops.outer, _composite_ops.dot, _composite_ops.mv
    logsumexp, norm, masked_select = _composite_ops.logsumexp, _composite_ops.norm, _composite_ops.masked_select
    repeat_interleave, unique = _composite_ops.repeat_interleave, _composite_ops.unique
    bincount = _composite_ops.bincount
    scatter, scatter_, scatter_add_, scatter_reduce_ = (_scatter_ops.scatter, _scatter_ops.scatter_,
                                                        _scatter_ops.scatter_add_, _scatter_ops.scatter_reduce_)
    index_add, index_add_, index_copy, index_copy_, index_fill, index_fill_ = (
        _scatter_ops.index_add, _scatter_ops.index_add_, _scatter_ops.index_copy, _scatter_ops.index_copy_,
        _scatter_ops.index_fill, _scatter_ops.index_fill_)
    addmm, addmv, baddbmm, addbmm = (_composite_ops.addmm, _composite_ops.addmv, _composite_ops.baddbmm,
                                     _composite_ops.addbmm)

    # ---- copying

    def __deepcopy__(self, memo):
        """copy.deepcopy of a leaf: new memory with the same values, requires_grad and .grad (as in
        PyTorch, e.g. `best = copy.deepcopy(model.state_dict())`); a non-leaf has history that
        cannot be copied, and PyTorch refuses it the same way."""
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("[deepcopy] only tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol; call .detach() first")
        result = self.detach().clone().requires_grad_(self.requires_grad)
        if self.grad is not None:
            result.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = result
        return result


_LEGACY_TYPE_NAMES = {_C.dtype.float32: "ember.FloatTensor", _C.dtype.float64: "ember.DoubleTensor",
                      _C.dtype.int64: "ember.LongTensor", _C.dtype.int32: "ember.IntTensor",
                      _C.dtype.bool: "ember.BoolTensor"}

_C._set_tensor_class(Tensor)
