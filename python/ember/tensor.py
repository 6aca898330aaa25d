"""What ember.Tensor needs beyond the native bindings: printing, NumPy/Python conversions and
small sugar. Nothing here runs per element; the maths stays native."""
import builtins

import numpy as np

from . import _C
from .autograd import backward as _backward

Tensor = _C.Tensor


# ---- printing, in PyTorch's style: tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)

def _element_formatter(arr):
    if arr.dtype == np.bool_:
        return lambda v: "True" if v else "False"
    if arr.dtype.kind in "iu":
        width = max((len(str(v)) for v in arr.flat), default=1)
        return lambda v: str(v).rjust(width)
    finite = arr[np.isfinite(arr)]
    if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
        fmt = "{:.0f}."
    elif finite.size and (np.abs(finite).max() >= 1e8 or
                          (np.abs(finite[finite != 0]).min(initial=1.0) < 1e-4)):
        fmt = "{:.4e}"
    else:
        fmt = "{:.4f}"

    def one(v):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt.format(v)
    width = max((len(one(v)) for v in arr.flat), default=1)
    return lambda v: one(v).rjust(width)


def _repr(self):
    arr = self.detach().numpy()
    suffix = []
    if self.dtype not in (_C.dtype.float32, _C.dtype.int64, _C.dtype.bool):
        suffix.append(f"dtype={self.dtype}")
    if arr.size == 0 and arr.ndim == 1:
        body = "[]"
    else:
        fmt = _element_formatter(arr)
        body = np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                               max_line_width=80, formatter={"all": fmt})
    if arr.size == 0 and arr.ndim > 1:
        suffix.insert(0, f"size={tuple(arr.shape)}")
    if self.grad_fn is not None:
        suffix.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffix) + ")"


def _tolist(self):
    return self.detach().numpy().tolist()


def _array(self, dtype=None, copy=None):
    arr = self.detach().numpy()
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _len(self):
    if self.dim() == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in builtins.range(self.shape[0]))


def _bool(self):
    if self.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {self.numel()} values is ambiguous")
    return builtins.bool(self.item())


def _backward_method(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Computes the gradient of this tensor w.r.t. the graph leaves (into their .grad)."""
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported yet; use ember.autograd.grad")
    self._backward(gradient, retain_graph, create_graph)


def _retain_grad(self):
    """Makes .grad of this non-leaf tensor be populated by backward()."""
    self._retain_grad()


def _to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, (str, _C.device)):
            device = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        else:
            raise TypeError(f"to() received an invalid argument of type {type(a).__name__}")
    out = self
    if device is not None:
        dev = device if isinstance(device, _C.device) else _C.device(str(device))
        if dev != self.device:
            raise RuntimeError(f"[to] device {dev} is not available in this build of ember "
                               "(the CUDA backend is not built yet)")
    if dtype is not None:
        out = out._to_dtype(dtype)
    if copy and out is self:
        out = out.clone()
    return out


def _cpu(self):
    return self


def _type_as(self, other):
    return self._to_dtype(other.dtype)


Tensor.__repr__ = _repr
Tensor.__str__ = _repr
Tensor.tolist = _tolist
Tensor.__array__ = _array
Tensor.__len__ = _len
Tensor.__iter__ = _iter
Tensor.__bool__ = _bool
Tensor.__float__ = lambda self: builtins.float(self.item())
Tensor.__int__ = lambda self: builtins.int(self.item())
Tensor.__index__ = lambda self: builtins.int(self.item())
Tensor.__array_priority__ = 1000  # ndarray + Tensor defers to Tensor.__radd__
Tensor.backward = _backward_method
Tensor.retain_grad = _retain_grad
Tensor.to = _to
Tensor.cpu = _cpu
Tensor.type_as = _type_as
Tensor.__module__ = "ember"
