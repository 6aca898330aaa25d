"""What ember.Tensor needs beyond the native bindings: printing, NumPy/Python conversions and
small sugar. Nothing here runs per element; the maths stays native."""
import builtins

import numpy as np

from . import _C
from .autograd import backward as _backward

Tensor = _C.Tensor


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


def _repr(self):
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


def _tolist(self):
    return _host(self).numpy().tolist()


def _array(self, dtype=None, copy=None):
    arr = _host(self).numpy()
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


def _device_of(device):
    return device if isinstance(device, _C.device) else _C.device(str(device))


def _to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
    """Casts and/or moves. Host-to-device copies never wait for the device (from pinned memory,
    pin_memory(), the DMA also runs while the host goes on); device-to-host copies wait, as the
    host reads the result next. non_blocking is accepted for PyTorch's signature."""
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
        out = out._to_device(_device_of(device))
    if dtype is not None:
        out = out._to_dtype(dtype)
    if copy and out is self:
        out = out.clone()
    return out


def _cpu(self):
    return self._to_device(_C.device("cpu"))


def _cuda(self, device=None, non_blocking=False):
    if device is None:
        dev = _C.device("cuda", _C._cuda_current_device()) if _C._cuda_is_available() else _C.device("cuda")
    elif isinstance(device, int):
        dev = _C.device("cuda", device)
    else:
        dev = _device_of(device)
    return self._to_device(dev)


def _host(self):
    """This tensor's values on the host (a copy, and a sync, when it lives on a GPU)."""
    t = self.detach()
    return t if t.device.type == "cpu" else t._to_device(_C.device("cpu"))


def _type_as(self, other):
    return self._to_dtype(other.dtype)


def _deepcopy(self, memo):
    """copy.deepcopy of a leaf: new memory with the same values, requires_grad and .grad (as in
    PyTorch, e.g. `best = copy.deepcopy(model.state_dict())`); a non-leaf has history that cannot
    be copied, and PyTorch refuses it the same way."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("[deepcopy] only tensors created explicitly by the user (graph leaves) support "
                           "the deepcopy protocol; call .detach() first")
    result = self.detach().clone().requires_grad_(self.requires_grad)
    if self.grad is not None:
        result.grad = _deepcopy(self.grad, memo)
    memo[id(self)] = result
    return result


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
Tensor.cuda = _cuda
Tensor.type_as = _type_as
Tensor.__deepcopy__ = _deepcopy
Tensor.__module__ = "ember"
