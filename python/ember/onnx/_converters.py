"""One ONNX rendering per module type that ember.onnx.export traces (Note [Exporting by tracing
modules], ember/onnx/__init__.py). A converter gets an Emitter, the module, its qualified name, the
names of its input values and the traced input and output tensors (for shapes), and returns the
name of its output value. The ONNX ops are those of opset 17, read as ember's modules compute in
eval mode (Dropout is the identity, BatchNorm uses its running statistics)."""
import math

import numpy as np

from .. import nn


class UnsupportedModuleError(RuntimeError):
    """A module the exporter has no ONNX rendering for (or not with these settings)."""


class Emitter:
    """Collects the graph's nodes and initializers, with unique value names."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self._taken = [], [], set()

    def fresh(self, hint):
        name, k = hint, 1
        while name in self._taken:
            name, k = f"{hint}_{k}", k + 1
        self._taken.add(name)
        return name

    def constant(self, name, array):
        name = self.fresh(name)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, hint, **attrs):
        out = self.fresh(hint)
        self.nodes.append(self.helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out


def _array(t):
    return t.detach().cpu().numpy()


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _unsupported(module, why):
    raise UnsupportedModuleError(f"ember.onnx.export: {type(module).__name__} {why}")


def _scalar_like(e, name, value, like):
    return e.constant(name, np.array(value, dtype=_array(like).dtype))


def linear(e, m, name, xs, inputs, out):
    w = e.constant(f"{name}.weight", _array(m.weight))
    args = [xs[0], w]
    if inputs[0].dim() == 2:  # Gemm: x @ w.T + b in one node
        if m.bias is not None:
            args.append(e.constant(f"{name}.bias", _array(m.bias)))
        return e.node("Gemm", args, name, transB=1)
    y = e.node("MatMul", [xs[0], e.node("Transpose", [w], f"{name}.weight_t", perm=[1, 0])], f"{name}.matmul")
    return e.node("Add", [y, e.constant(f"{name}.bias", _array(m.bias))], name) if m.bias is not None else y


def gelu(e, m, name, xs, inputs, out):
    x = xs[0]
    half, one = _scalar_like(e, "half", 0.5, inputs[0]), _scalar_like(e, "one", 1.0, inputs[0])
    if m.approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
        cube = e.node("Mul", [e.node("Mul", [x, x], f"{name}.sq"), x], f"{name}.cube")
        inner = e.node("Add", [x, e.node("Mul", [cube, _scalar_like(e, "k", 0.044715, inputs[0])], f"{name}.kc")],
                       f"{name}.inner")
        t = e.node("Tanh", [e.node("Mul", [inner, _scalar_like(e, "c", math.sqrt(2 / math.pi), inputs[0])],
                                   f"{name}.scaled")], f"{name}.tanh")
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        t = e.node("Erf", [e.node("Div", [x, _scalar_like(e, "sqrt2", math.sqrt(2.0), inputs[0])], f"{name}.div")],
                   f"{name}.erf")
    return e.node("Mul", [e.node("Mul", [x, half], f"{name}.half"), e.node("Add", [t, one], f"{name}.plus1")], name)


def silu(e, m, name, xs, inputs, out):
    return e.node("Mul", [xs[0], e.node("Sigmoid", [xs[0]], f"{name}.sigmoid")], name)


def clip(e, m, name, xs, inputs, out):
    lo, hi = (0.0, 6.0) if isinstance(m, nn.ReLU6) else (m.min_val, m.max_val)
    return e.node("Clip", [xs[0], _scalar_like(e, "min", lo, inputs[0]), _scalar_like(e, "max", hi, inputs[0])], name)


def softmax(op):
    def convert(e, m, name, xs, inputs, out):
        if m.dim is None:
            _unsupported(m, "with dim=None (an implicit dim) has no ONNX rendering: give dim")
        return e.node(op, xs, name, axis=m.dim)
    return convert


def reshape_to_output(e, m, name, xs, inputs, out):
    # The traced output's shape, dim 0 copied from the input (0 in ONNX's Reshape) so that a
    # dynamic batch passes; Flatten/Unflatten never change dim 0 unless they start there.
    starts_at_0 = (m.start_dim if isinstance(m, nn.Flatten) else m.dim) in (0, -inputs[0].dim())
    shape = list(out.shape) if starts_at_0 else [0] + list(out.shape)[1:]
    return e.node("Reshape", [xs[0], e.constant(f"{name}.shape", np.array(shape, dtype=np.int64))], name)


def embedding(e, m, name, xs, inputs, out):
    if m.max_norm is not None:
        _unsupported(m, "with max_norm (which renormalizes its weight as it reads it) has no ONNX rendering")
    return e.node("Gather", [e.constant(f"{name}.weight", _array(m.weight)), xs[0]], name, axis=0)


def _affine(e, m, name, shape, like):
    weight = _array(m.weight) if getattr(m, "weight", None) is not None else np.ones(shape, _array(like).dtype)
    bias = _array(m.bias) if getattr(m, "bias", None) is not None else np.zeros(shape, _array(like).dtype)
    return e.constant(f"{name}.weight", weight), e.constant(f"{name}.bias", bias)


def layer_norm(e, m, name, xs, inputs, out):
    scale, bias = _affine(e, m, name, m.normalized_shape, inputs[0])
    return e.node("LayerNormalization", [xs[0], scale, bias], name, axis=-len(m.normalized_shape), epsilon=m.eps)


def batch_norm(e, m, name, xs, inputs, out):
    if m.running_mean is None:
        _unsupported(m, "without running statistics (track_running_stats=False) normalizes by the batch even in "
                     "eval mode, which ONNX's BatchNormalization does not")
    scale, bias = _affine(e, m, name, (m.num_features,), inputs[0])
    mean = e.constant(f"{name}.running_mean", _array(m.running_mean))
    var = e.constant(f"{name}.running_var", _array(m.running_var))
    return e.node("BatchNormalization", [xs[0], scale, bias, mean, var], name, epsilon=m.eps)


def conv2d(e, m, name, xs, inputs, out):
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        pads = [total[0] // 2, total[1] // 2, total[0] - total[0] // 2, total[1] - total[1] // 2]
    else:
        p = (0, 0) if m.padding == "valid" else _pair(m.padding)
        pads = [p[0], p[1], p[0], p[1]]
    args = [xs[0], e.constant(f"{name}.weight", _array(m.weight))]
    if m.bias is not None:
        args.append(e.constant(f"{name}.bias", _array(m.bias)))
    return e.node("Conv", args, name, kernel_shape=list(m.kernel_size), strides=list(m.stride), pads=pads,
                  dilations=list(m.dilation), group=m.groups)


def max_pool(e, m, name, xs, inputs, out):
    if m.return_indices:
        _unsupported(m, "with return_indices=True is not exported")
    p = _pair(m.padding)
    return e.node("MaxPool", xs, name, kernel_shape=list(_pair(m.kernel_size)), strides=list(_pair(m.stride)),
                  pads=[p[0], p[1], p[0], p[1]], dilations=list(_pair(m.dilation)), ceil_mode=int(m.ceil_mode))


def avg_pool(e, m, name, xs, inputs, out):
    if m.divisor_override is not None:
        _unsupported(m, "with divisor_override has no ONNX rendering")
    p = _pair(m.padding)
    return e.node("AveragePool", xs, name, kernel_shape=list(_pair(m.kernel_size)), strides=list(_pair(m.stride)),
                  pads=[p[0], p[1], p[0], p[1]], ceil_mode=int(m.ceil_mode),
                  count_include_pad=int(m.count_include_pad))


def adaptive_avg_pool(e, m, name, xs, inputs, out):
    (h, w), (oh, ow) = inputs[0].shape[-2:], out.shape[-2:]
    if (oh, ow) == (1, 1):
        return e.node("GlobalAveragePool", xs, name)
    if h % oh or w % ow:
        _unsupported(m, f"from {h}x{w} to {oh}x{ow} (not a whole number of cells per output) has no ONNX rendering")
    return e.node("AveragePool", xs, name, kernel_shape=[h // oh, w // ow], strides=[h // oh, w // ow])


def _simple(op, **attrs_of):
    def convert(e, m, name, xs, inputs, out):
        return e.node(op, xs, name, **{k: f(m) for k, f in attrs_of.items()})
    return convert


# Exact types first: a subclass (ReLU6 of Hardtanh) is looked up by its own type.
CONVERTERS = {
    nn.Linear: linear,
    nn.ReLU: _simple("Relu"),
    nn.LeakyReLU: _simple("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    nn.Sigmoid: _simple("Sigmoid"),
    nn.Tanh: _simple("Tanh"),
    nn.GELU: gelu,
    nn.SiLU: silu,
    nn.ELU: _simple("Elu", alpha=lambda m: float(m.alpha)),
    nn.SELU: _simple("Selu"),
    nn.Hardtanh: clip,
    nn.ReLU6: clip,
    nn.Softmax: softmax("Softmax"),
    nn.LogSoftmax: softmax("LogSoftmax"),
    nn.Dropout: _simple("Identity"),
    nn.Identity: _simple("Identity"),
    nn.Flatten: reshape_to_output,
    nn.Unflatten: reshape_to_output,
    nn.Embedding: embedding,
    nn.LayerNorm: layer_norm,
    nn.BatchNorm1d: batch_norm,
    nn.BatchNorm2d: batch_norm,
    nn.Conv2d: conv2d,
    nn.MaxPool2d: max_pool,
    nn.AvgPool2d: avg_pool,
    nn.AdaptiveAvgPool2d: adaptive_avg_pool,
}
