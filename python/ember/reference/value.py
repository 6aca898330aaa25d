"""A scalar reverse-mode autodiff engine in pure Python: the teaching baseline ember is measured against.

Every number is a `Value` that remembers which Values it was made from (`_prev`), the name of the
operation (`_op`) and a closure (`_backward`) that, given this Value's `grad`, adds the chain-rule
contribution into the grads of its inputs. `backward()` orders the graph topologically and runs the
closures from the output back to the leaves. That is all reverse mode is; ember does the same thing
with tensors, nodes and edges in C++.

The MLP below (Neuron, Layer, MLP) and `cross_entropy` are built from nothing but Values, so a
training step costs one Python object per multiply: that is the point of the comparison.

Conventions shared with ember's benchmarks: a layer computes `x @ W + b` with W of shape (in, out),
so `MLP.from_params` takes the same (W, b) lists a tensor engine uses and `grads()` returns them in
that layout.
"""
import math


class Value:
    """One scalar in the graph: its value (`data`), d(output)/d(self) (`grad`) and how it was made."""

    __slots__ = ("data", "grad", "_prev", "_op", "_backward")

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = _no_backward

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ arithmetic
    # Each operation builds its output and the closure that pushes out.grad back to its inputs;
    # `+=` because an input used twice receives both contributions.

    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a + b) = da + db
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab) = b da + a db
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError(f"[Value.__pow__] only a constant int/float exponent is supported, got {type(exponent).__name__}")
        out = Value(self.data ** exponent, (self,), f"**{exponent}")

        def _backward():  # d(x^n) = n x^(n-1) dx
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_as_value(other))

    def __truediv__(self, other):
        return self * _as_value(other) ** -1

    def __radd__(self, other):  # 2 + v
        return self + other

    def __rsub__(self, other):  # 2 - v
        return _as_value(other) + (-self)

    def __rmul__(self, other):  # 2 * v
        return self * other

    def __rtruediv__(self, other):  # 2 / v
        return _as_value(other) * self ** -1

    # ------------------------------------------------------------------ functions

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():  # the gradient flows only where the input was positive
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # d tanh(x) = (1 - tanh(x)^2) dx
            self.grad += (1.0 - t * t) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d e^x = e^x dx: reuse the output
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"[Value.log] input must be positive, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():  # d log x = dx / x
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    # ------------------------------------------------------------------ reverse mode

    def backward(self):
        """Sets d(self)/d(v) into v.grad for every Value v this one depends on (grads accumulate)."""
        order = _topological_order(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def _no_backward():
    pass


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


def _topological_order(root):
    """Values reachable from `root`, each after all of its inputs.

    Iterative depth-first search (an explicit stack, not recursion): a sum over a 784-wide input
    row is already a chain deeper than Python's default recursion limit."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        v, children_done = stack.pop()
        if children_done:
            order.append(v)
            continue
        if id(v) in visited:
            continue
        visited.add(id(v))
        stack.append((v, True))
        for child in v._prev:
            if id(child) not in visited:
                stack.append((child, False))
    return order


# ---------------------------------------------------------------------- a tiny MLP on Values

class Neuron:
    """relu(w . x + b) (or the plain affine value when `nonlin` is False)."""

    def __init__(self, w, b, nonlin=True):
        self.w = [Value(wi) for wi in w]
        self.b = Value(b)
        self.nonlin = nonlin

    def __call__(self, x):
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    """`nout` Neurons over the same input; built from W (in x out, nested lists) and b (out)."""

    def __init__(self, W, b, nonlin=True):
        nin, nout = len(W), len(b)
        self.neurons = [Neuron([W[i][j] for i in range(nin)], b[j], nonlin) for j in range(nout)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    """Layers with relu between them and none after the last (the output is logits)."""

    def __init__(self, layers):
        self.layers = layers

    @classmethod
    def from_params(cls, params):
        """params = [W1, b1, W2, b2, ...] as nested lists (or anything with `.tolist()`)."""
        params = [p.tolist() if hasattr(p, "tolist") else p for p in params]
        n = len(params) // 2
        return cls([Layer(params[2 * i], params[2 * i + 1], nonlin=i < n - 1) for i in range(n)])

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def tensors(self, attr="data"):
        """[W1, b1, ...] as nested lists of `attr` ('data' or 'grad') in the (in, out) layout."""
        out = []
        for layer in self.layers:
            ns = layer.neurons
            out.append([[getattr(n.w[i], attr) for n in ns] for i in range(len(ns[0].w))])
            out.append([getattr(n.b, attr) for n in ns])
        return out


def cross_entropy(logits, targets):
    """Mean softmax cross-entropy of rows of logit Values against integer class targets.

    Per row: logsumexp(z) - z[target], computed as m + log(sum(exp(z - m))) with m = max(z) taken
    as a plain float. Shifting by a constant changes neither the value nor the gradient, and it
    keeps exp from overflowing."""
    total = Value(0.0)
    for row, t in zip(logits, targets):
        m = max(z.data for z in row)
        sum_exp = Value(0.0)
        for z in row:
            sum_exp = sum_exp + (z - m).exp()
        total = total + (sum_exp.log() + m - row[int(t)])
    return total * (1.0 / len(logits))
