"""A tensor reverse-mode autodiff engine in pure Python over NumPy arrays: the second baseline.

The same idea as `value.Value`, one level up: a `Tensor` holds an ndarray (`data`), its gradient
(`grad`, an ndarray or None), the Tensors it was made from (`parents`) and a closure (`backward_fn`)
that maps the output's gradient to one gradient per parent (skipping parents that need none). The arithmetic is NumPy's (so BLAS for
matmul); everything else -- graph building, the walk in `backward()`, gradient bookkeeping -- is
Python. ember does the same work in C++, which is what the benchmark measures.

Broadcasting follows NumPy (= PyTorch): the backward of a broadcasting op sums the gradient over
the broadcast dimensions (`_unbroadcast`). Cross-entropy is deliberately *not* fused: it is
log-softmax built from max/exp/sum/log, then a pick of the target entries, then a mean, each an op
with its own backward.
"""
import contextlib

import numpy as np

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Inside this block ops record no graph (as torch.no_grad)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def _unbroadcast(grad, shape):
    """Sums `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


class Tensor:
    """An ndarray with a gradient and the recipe for passing gradients to its parents."""

    __slots__ = ("data", "grad", "requires_grad", "parents", "backward_fn", "op")

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = np.asarray(data, dtype=dtype)
        self.grad = None
        self.requires_grad = requires_grad
        self.parents = ()
        self.backward_fn = None
        self.op = ""

    def __repr__(self):
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad})"

    @property
    def shape(self):
        return self.data.shape

    def numpy(self):
        return self.data

    def item(self):
        return self.data.item()

    # ------------------------------------------------------------------ graph building

    def _make(self, data, parents, backward_fn, op):
        """The output of an op; it joins the graph only if grad mode is on and a parent needs grad."""
        out = Tensor(data)
        if _grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out.parents = parents
            out.backward_fn = backward_fn
            out.op = op
        return out

    def _lift(self, other):
        # A Python or NumPy scalar becomes a constant of this tensor's dtype (no float64 promotion).
        return other if isinstance(other, Tensor) else Tensor(np.asarray(other, dtype=self.data.dtype))

    # ------------------------------------------------------------------ ops: forward and backward

    def __add__(self, other):
        other = self._lift(other)
        a, b = self.shape, other.shape
        return self._make(self.data + other.data, (self, other),
                          lambda g, need: (need[0] and _unbroadcast(g, a), need[1] and _unbroadcast(g, b)), "add")

    def __sub__(self, other):
        other = self._lift(other)
        a, b = self.shape, other.shape
        return self._make(self.data - other.data, (self, other),
                          lambda g, need: (need[0] and _unbroadcast(g, a), need[1] and _unbroadcast(-g, b)), "sub")

    def __mul__(self, other):
        other = self._lift(other)
        x, y = self.data, other.data
        return self._make(x * y, (self, other),
                          lambda g, need: (need[0] and _unbroadcast(g * y, x.shape),
                                           need[1] and _unbroadcast(g * x, y.shape)), "mul")

    def __truediv__(self, other):
        other = self._lift(other)
        x, y = self.data, other.data
        return self._make(x / y, (self, other),  # d(x/y) = dx/y - x dy/y^2
                          lambda g, need: (need[0] and _unbroadcast(g / y, x.shape),
                                           need[1] and _unbroadcast(-g * x / (y * y), y.shape)),
                          "div")

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __neg__(self):
        return self._make(-self.data, (self,), lambda g, need: (-g,), "neg")

    def __matmul__(self, other):
        """2-D @ 2-D (and 1-D on either side, as np.matmul)."""
        x, y = self.data, other.data
        if x.ndim != 2 or y.ndim != 2:
            raise ValueError(f"[matmul] the numpy engine handles 2-D @ 2-D only, got {x.shape} and {y.shape}")
        return self._make(x @ y, (self, other), lambda g, need: (need[0] and g @ y.T, need[1] and x.T @ g),
                          "matmul")

    def relu(self):
        out = np.maximum(self.data, 0)
        return self._make(out, (self,), lambda g, need: (g * (out > 0),), "relu")

    def exp(self):
        out = np.exp(self.data)
        return self._make(out, (self,), lambda g, need: (g * out,), "exp")

    def log(self):
        x = self.data
        return self._make(np.log(x), (self,), lambda g, need: (g / x,), "log")

    def tanh(self):
        out = np.tanh(self.data)
        return self._make(out, (self,), lambda g, need: (g * (1 - out * out),), "tanh")

    def sum(self, axis=None, keepdims=False):
        shape = self.shape

        def backward(g, need):  # every input element contributed once: spread g back over the summed axes
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)
        return self._make(self.data.sum(axis=axis, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis=None, keepdims=False):
        n = self.data.size if axis is None else self.shape[axis]
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / n)

    def max_detached(self, axis, keepdims=True):
        """max along `axis` as a constant (no gradient): only used to shift before exp."""
        return Tensor(self.data.max(axis=axis, keepdims=keepdims))

    def pick(self, index):
        """out[i] = self[i, index[i]] for a 2-D tensor: the target entries of each row."""
        rows = np.arange(self.shape[0])
        shape, dtype = self.shape, self.data.dtype

        def backward(g, need):  # scatter each row's gradient back to the column it was picked from
            full = np.zeros(shape, dtype=dtype)
            full[rows, index] = g
            return (full,)
        return self._make(self.data[rows, index], (self,), backward, "pick")

    # ------------------------------------------------------------------ reverse mode

    def backward(self, gradient=None):
        """Accumulates d(self)/d(leaf) into `.grad` of every leaf that requires grad."""
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"[backward] grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            gradient = np.ones_like(self.data)
        grads = {id(self): gradient}
        for t in reversed(_topological_order(self)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if not t.parents:  # a leaf
                t.grad = g.copy() if t.grad is None else t.grad + g
                continue
            # `need` spares the work for parents outside the graph (x in x @ W costs a matmul).
            need = tuple(p.requires_grad for p in t.parents)
            for parent, pg in zip(t.parents, t.backward_fn(g, need)):
                if parent.requires_grad:
                    grads[id(parent)] = pg if id(parent) not in grads else grads[id(parent)] + pg


def _topological_order(root):
    """Tensors reachable from `root` that are in the graph, each after its parents (iterative DFS)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        t, parents_done = stack.pop()
        if parents_done:
            order.append(t)
        elif id(t) not in visited:
            visited.add(id(t))
            stack.append((t, True))
            stack.extend((p, False) for p in t.parents if p.requires_grad and id(p) not in visited)
    return order


# ---------------------------------------------------------------------- composites

def log_softmax(x, axis=-1):
    """x - logsumexp(x): shift by the (constant) row max, exp, sum, log, subtract -- four ops."""
    shifted = x - x.max_detached(axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x, axis=-1):
    e = (x - x.max_detached(axis)).exp()
    return e / e.sum(axis=axis, keepdims=True)


def cross_entropy(logits, targets):
    """Mean of -log_softmax(logits)[i, targets[i]] (targets: an int array or a Tensor of ints)."""
    targets = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return -(log_softmax(logits, axis=1).pick(targets).mean())


def tensor(data, requires_grad=False, dtype=None):
    return Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)
