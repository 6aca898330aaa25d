"""ember.onnx.export: an ember model as an ONNX inference graph, checked by onnx.checker, for ONNX
Runtime and the tools that read ONNX. Needs the optional packages: pip install "ember[onnx]".

Note [Exporting by tracing modules]
export() runs the model once on the example inputs, in eval mode and without grad, with a forward
hook on every leaf module (one without submodules: Linear, ReLU, Conv2d, ...). Each call is
recorded with the values it read and made, keyed by the tensors' identities, and rendered as ONNX
nodes by its converter (_converters.py) in the order the calls ran: containers (Sequential, or a
forward() that only chains its submodules, with residual sums excepted below) need no rendering of
their own. What a forward() computes outside any leaf module (x.view(...), F.relu(x), x + y) would
be missing from such a graph, so a leaf module reading a value that no recorded call made, or a
model output that none made, stops the export with an error naming the module: an incomplete graph
is never written. The model's mode (train/eval) is restored afterwards.
"""
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._converters import CONVERTERS, Emitter, UnsupportedModuleError

__all__ = ["export", "UnsupportedModuleError"]

_ONNX_TYPES = {"float32": 1, "int64": 7, "int32": 6, "bool": 9, "float64": 11}  # TensorProto's codes


def _import_onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as err:
        raise ImportError("ember.onnx.export needs the onnx package: pip install \"ember[onnx]\"") from err
    return onnx, helper, numpy_helper


def _leaf_calls(model, args):
    """The model's output and, in order, (qualified name, module, inputs, output) of each leaf call."""
    calls, handles = [], []
    names = {id(m): n for n, m in model.named_modules()}
    for m in model.modules():
        if not any(True for _ in m.children()):
            handles.append(m.register_forward_hook(
                lambda mod, inputs, out: calls.append((names[id(mod)], mod, inputs, out))))
    try:
        with no_grad():
            out = model(*args)
    finally:
        for h in handles:
            h.remove()
    return out, calls


def _value_info(helper, name, t, dynamic):
    dims = [dynamic.get(i, d) for i, d in enumerate(t.shape)]
    return helper.make_tensor_value_info(name, _ONNX_TYPES[str(t.dtype).split(".")[-1]], dims)


def _dynamic_axes(spec, name):
    axes = (spec or {}).get(name, {})
    if isinstance(axes, (list, tuple)):
        return {a: f"{name}_dynamic_axis_{a}" for a in axes}
    return dict(axes)


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None, opset_version=17):
    """Writes `model` (an ember.nn.Module) as an ONNX graph to `f` (a path or a binary file),
    traced on `args` (a tensor or a tuple of tensors), as torch.onnx.export. dynamic_axes maps an
    input or output name to the axes (a list, or {axis: name}) whose size may change, such as the
    batch. Raises UnsupportedModuleError for a module with no ONNX rendering and ValueError for a
    computation outside the model's leaf modules (Note [Exporting by tracing modules])."""
    onnx, helper, numpy_helper = _import_onnx()
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    was_training = model.training
    model.eval()
    try:
        out, calls = _leaf_calls(model, args)
    finally:
        model.train(was_training)
    outputs = (out,) if isinstance(out, Tensor) else tuple(out)
    input_names = list(input_names or [f"input_{i}" for i in range(len(args))])
    output_names = list(output_names or [f"output_{i}" for i in range(len(outputs))])
    if len(input_names) != len(args) or len(output_names) != len(outputs):
        raise ValueError(f"ember.onnx.export: {len(input_names)} input names for {len(args)} inputs, "
                         f"{len(output_names)} output names for {len(outputs)} outputs")

    e = Emitter(helper, numpy_helper)
    value_of = {}  # id(tensor) -> ONNX value name
    for name, t in zip(input_names, args):
        value_of[id(t)] = e.fresh(name)
    for qualname, module, inputs, result in calls:
        convert = CONVERTERS.get(type(module))
        if convert is None:
            raise UnsupportedModuleError(f"ember.onnx.export: no ONNX rendering for {type(module).__name__} "
                                         f"('{qualname}'); exported modules: "
                                         + ", ".join(sorted(c.__name__ for c in CONVERTERS)))
        xs = []
        for x in inputs:
            if id(x) not in value_of:
                raise ValueError(f"ember.onnx.export: '{qualname}' ({type(module).__name__}) reads a value computed "
                                 "outside the model's modules (a tensor op in a forward()); only what leaf modules "
                                 "compute is exported (Note [Exporting by tracing modules])")
            xs.append(value_of[id(x)])
        value_of[id(result)] = convert(e, module, qualname or type(module).__name__.lower(), xs, inputs, result)
    graph_outputs = []
    for name, t in zip(output_names, outputs):
        if id(t) not in value_of:
            raise ValueError(f"ember.onnx.export: output '{name}' was computed outside the model's modules; only what "
                             "leaf modules compute is exported (Note [Exporting by tracing modules])")
        e.nodes.append(helper.make_node("Identity", [value_of[id(t)]], [name], name=f"{name}_identity"))
        graph_outputs.append(_value_info(helper, name, t, _dynamic_axes(dynamic_axes, name)))
    graph_inputs = [_value_info(helper, value_of[id(t)], t, _dynamic_axes(dynamic_axes, name))
                    for name, t in zip(input_names, args)]
    graph = helper.make_graph(e.nodes, type(model).__name__, graph_inputs, graph_outputs, e.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset_version)],
                              producer_name="ember")
    onnx.checker.check_model(proto)
    onnx.save(proto, f)
    return None

