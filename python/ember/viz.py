"""ember.viz: the backward graph of a tensor as Graphviz DOT text (as torchviz.make_dot draws it).

    dot_text = ember.viz.draw(loss, params=dict(model.named_parameters()))
    ember.viz.draw(loss, format="svg", path="graph.svg")     # needs Graphviz's `dot` program

Nodes: one per backward function (its name, e.g. MulBackward0), one per leaf that requires grad
(the tensor behind an AccumulateGrad, shown with its parameter name when `params` names it, and
its shape), and one per output tensor drawn. An edge A -> B says that A's result is an input of B
(B lists A in its next_functions), so the picture reads like the forward pass, leaves on top.
The text is deterministic: node ids follow a depth-first walk in next_functions order.
"""
import os
import shutil
import subprocess

from . import _C

__all__ = ["draw"]

_OP_STYLE = ""
_LEAF_STYLE = ", fillcolor=lightblue"      # a leaf that requires grad (gradient accumulates here)
_NAMED_STYLE = ", fillcolor=lightblue, penwidth=2"
_OUTPUT_STYLE = ", fillcolor=darkolivegreen1"
_FORMATS = ("svg", "png", "pdf")


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ("," if t.dim() == 1 else "") + ")"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Graph:
    """Collects nodes (deduplicated by identity) and edges in discovery order."""

    def __init__(self, param_names, show_shapes):
        self.param_names = param_names      # id(tensor) -> name, tensors kept alive by the caller's dict
        self.show_shapes = show_shapes
        self.ids = {}                       # id(python object) -> node id
        self.keep = []                      # holds every object seen, so no id() is reused mid-walk
        self.nodes = []                     # (node id, label, style)
        self.edges = []                     # (from id, to id)

    def _add(self, obj, label, style):
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
            self.keep.append(obj)
            self.nodes.append((self.ids[key], label, style))
        return self.ids[key]

    def _leaf_label(self, t):
        name = self.param_names.get(id(t))
        lines = [name] if name is not None else []
        if self.show_shapes or not lines:
            lines.append(_shape(t) if self.show_shapes else "leaf")
        return "\n".join(lines), (_NAMED_STYLE if name is not None else _LEAF_STYLE)

    def add_function(self, fn):
        """Adds fn and everything below it (iteratively: deep graphs must not hit the recursion limit)."""
        if id(fn) in self.ids:
            return self.ids[id(fn)]
        root = self._add_one(fn)
        stack = [(fn, iter(fn.next_functions))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                continue
            child_fn = child[0]
            if child_fn is None:
                continue
            seen = id(child_fn) in self.ids
            child_id = self._add_one(child_fn)
            self.edges.append((child_id, self.ids[id(node)]))
            if not seen:
                stack.append((child_fn, iter(child_fn.next_functions)))
        return root

    def _add_one(self, fn):
        if id(fn) in self.ids:
            return self.ids[id(fn)]
        if fn.name() == "AccumulateGrad":
            label, style = self._leaf_label(fn.variable)
            return self._add(fn, label, style)
        return self._add(fn, fn.name(), _OP_STYLE)

    def add_output(self, t):
        label = _shape(t) if self.show_shapes else "output"
        out_id = self._add(t, label, _OUTPUT_STYLE)
        if t.grad_fn is not None:
            self.edges.append((self.add_function(t.grad_fn), out_id))
        elif t.requires_grad:  # the output is itself a leaf
            self.nodes[-1] = (out_id, self._leaf_label(t)[0], _OUTPUT_STYLE)
        return out_id

    def dot(self):
        lines = ["digraph ember_graph {",
                 '  node [shape=box, style="rounded,filled", fillcolor=lightgrey, fontname=monospace, fontsize=10]']
        lines += [f"  {nid} [label={_quote(label)}{style}]" for nid, label, style in self.nodes]
        lines += [f"  {a} -> {b}" for a, b in self.edges]
        lines.append("}")
        return "\n".join(lines) + "\n"


def _render(dot_text, fmt):
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(f"ember.viz.draw(format={fmt!r}) needs the Graphviz `dot` program, which was not found "
                           "on PATH. Install graphviz (e.g. `apt-get install graphviz`, `brew install graphviz` or "
                           "`conda install graphviz`), or call draw() without format= to get the DOT text.")
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"ember.viz.draw: `dot -T{fmt}` failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def draw(tensor, params=None, show_shapes=True, format=None, path=None):  # noqa: A002  (PyTorch-style name)
    """The backward graph of `tensor` (or of a tuple/list of tensors) as Graphviz DOT text.

    params: optional dict name -> tensor (e.g. dict(model.named_parameters())) naming the leaves.
    format: None returns the DOT text; 'svg', 'png' or 'pdf' renders it with Graphviz `dot` and
    returns the rendered bytes. path: also writes the result there (the format is taken from the
    file's extension when format is None: .svg/.png/.pdf render, anything else gets DOT text)."""
    outputs = list(tensor) if isinstance(tensor, (tuple, list)) else [tensor]
    for i, t in enumerate(outputs):
        if not isinstance(t, _C.TensorBase):
            raise TypeError(f"ember.viz.draw expects a Tensor or a tuple of Tensors, got {type(t).__name__} "
                            f"at position {i}")
    names = {}
    for name, p in (params or {}).items():
        if not isinstance(p, _C.TensorBase):
            raise TypeError(f"ember.viz.draw: params[{name!r}] is a {type(p).__name__}, not a Tensor")
        names[id(p)] = name
    if format is None and path is not None:
        ext = os.path.splitext(str(path))[1].lstrip(".").lower()
        format = ext if ext in _FORMATS else None
    if format is not None and format not in _FORMATS:
        raise ValueError(f"ember.viz.draw: format must be one of {', '.join(_FORMATS)} or None, got {format!r}")

    graph = _Graph(names, show_shapes)
    for t in outputs:
        graph.add_output(t)
    result = graph.dot()
    if format is not None:
        result = _render(result, format)
    if path is not None:
        with open(path, "wb" if isinstance(result, bytes) else "w") as f:
            f.write(result)
    return result
