"""ember.Tensor: the native base class _C.TensorBase (ops, views, autograd, bound in
csrc/bindings/) plus, here, all the Python-level methods in one place: printing, NumPy/Python
conversions, to()/cpu()/cuda(), backward() and small sugar. Nothing here runs per element; the
maths stays native.

Every tensor C++ returns is an instance of this class (Note [Tensors surface as ember.Tensor] in
csrc/bindings/init_tensor.cpp), so `type(ember.zeros(2)) is ember.Tensor`; nn.Parameter subclasses
it. isinstance(x, _C.TensorBase) is the same test as isinstance(x, ember.Tensor), for modules that
load before this one."""
import builtins

import numpy as np

from . import _C, _reductions


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


class Tensor(_C.TensorBase):
    # No per-instance __dict__: the layout must stay _C.TensorBase's, and `x.attr = 1` raises as it
    # does on the base (nn.Parameter, a subclass without __slots__, does take attributes).
    __slots__ = ()
    __module__ = "ember"
    __array_priority__ = 1000  # ndarray + Tensor defers to Tensor.__radd__

    # ---- printing, in PyTorch's style: tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)

    def __repr__(self):
        arr = _host(self).numpy()
        suffix = []
        if self.dtype not in (_C.dtype.float32, _C.dtype.int64, _C.dtype.bool):
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
        """Casts and/or moves (the forms are parse_to's). Host-to-device copies never wait for the
        device (from pinned memory, pin_memory(), the DMA also runs while the host goes on);
        device-to-host copies wait, as the host reads the result next. non_blocking is accepted
        for PyTorch's signature."""
        device, dtype, _, copy = parse_to(args, kwargs)
        out = self
        if device is not None:
            out = out._to_device(device)
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
        return self._to_device(dev)

    def type_as(self, other):
        return self._to_dtype(other.dtype)

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


_C._set_tensor_class(Tensor)
