"""ember.viz.draw: the DOT text of the backward graph, parsed back; rendering when `dot` exists."""
import re
import shutil

import pytest

import ember
import ember.nn.functional as F
from ember.viz import draw

NODE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)$")


def parse(dot):
    """{node id: (label, attributes)} and [(from, to)] from draw()'s output."""
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph ember_graph {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2).replace("\\n", "\n"), m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            assert line.strip().startswith("node ["), line
    for a, b in edges:
        assert a in nodes and b in nodes
    return nodes, edges


def by_label(nodes):
    return {label: nid for nid, (label, _) in nodes.items()}


def test_small_graph_nodes_edges_and_labels():
    w = ember.randn(3, 4, requires_grad=True)
    b = ember.zeros(4, requires_grad=True)
    x = ember.randn(2, 3)
    loss = (x @ w + b).relu().sum()
    nodes, edges = parse(draw(loss, params={"weight": w, "bias": b}))
    ids = by_label(nodes)
    # output, Sum, Relu, Add, Mm, two leaves (x does not require grad: no node)
    assert sorted(label for label, _ in nodes.values()) == sorted(
        ["()", "SumBackward0", "ReluBackward0", "AddBackward0", "MmBackward0", "weight\n(3, 4)", "bias\n(4,)"])
    expected = {("weight\n(3, 4)", "MmBackward0"), ("MmBackward0", "AddBackward0"), ("bias\n(4,)", "AddBackward0"),
                ("AddBackward0", "ReluBackward0"), ("ReluBackward0", "SumBackward0"), ("SumBackward0", "()")}
    assert sorted(edges) == sorted((ids[a], ids[b]) for a, b in expected)


def test_edges_follow_next_functions():
    a = ember.randn(3, requires_grad=True)
    y = (a.exp() * a.sin()).sum()
    nodes, edges = parse(draw(y))
    mul = y.grad_fn.next_functions[0][0]
    assert mul.name() == "MulBackward0"
    ids = by_label(nodes)
    into_mul = sorted(nodes[src][0] for src, dst in edges if dst == ids["MulBackward0"])
    assert into_mul == sorted(fn.name() for fn, _ in mul.next_functions)


def test_shared_subexpression_appears_once():
    x = ember.randn(4, requires_grad=True)
    h = x.tanh()                    # used three times below
    y = (h * h + h).sum()
    nodes, edges = parse(draw(y))
    labels = [label for label, _ in nodes.values()]
    assert labels.count("TanhBackward0") == 1
    assert labels.count("(4,)") == 1   # the leaf x, once
    tanh = by_label(nodes)["TanhBackward0"]
    # one edge per use: two into Mul, one into Add
    assert sorted(nodes[dst][0] for src, dst in edges if src == tanh) == ["AddBackward0", "MulBackward0",
                                                                           "MulBackward0"]


def test_leaves_are_marked_and_named_ones_differently():
    w = ember.randn(2, requires_grad=True)
    u = ember.randn(2, requires_grad=True)
    nodes, _ = parse(draw((w * u).sum(), params={"w": w}))
    attrs = {label: a for label, a in nodes.values()}
    assert "lightblue" in attrs["w\n(2,)"] and "penwidth" in attrs["w\n(2,)"]
    assert "lightblue" in attrs["(2,)"] and "penwidth" not in attrs["(2,)"]
    assert "lightblue" not in attrs["MulBackward0"]


def test_show_shapes_false_and_parameter_names():
    w = ember.randn(2, 2, requires_grad=True)
    v = ember.randn(2, requires_grad=True)
    out = (w * v).sum()
    nodes, _ = parse(draw(out, params={"layer.weight": w}, show_shapes=False))
    assert sorted(label for label, _ in nodes.values()) == sorted(["MulBackward0", out.grad_fn.name(),
                                                                   "layer.weight", "leaf", "output"])


def test_cross_entropy_graph_and_determinism():
    ember.manual_seed(0)
    w = ember.randn(5, 3, requires_grad=True)
    x = ember.randn(4, 5)
    loss = F.cross_entropy(x @ w, ember.tensor([0, 1, 2, 1]))
    text = draw(loss, params={"w": w})
    assert text == draw(loss, params={"w": w})
    nodes, edges = parse(text)
    assert len(nodes) == 4 and len(edges) == 3   # output, CrossEntropy, Mm, w


def test_several_outputs_and_leaf_output():
    x = ember.randn(3, requires_grad=True)
    a, b = x * 2.0, x.exp()
    nodes, edges = parse(draw((a, b)))
    assert len([1 for label, _ in nodes.values() if label == "(3,)"]) == 3   # two outputs + the leaf
    assert len(edges) == 4
    nodes, edges = parse(draw(x))
    assert len(nodes) == 1 and edges == []


def test_deep_graph_does_not_recurse():
    x = ember.randn(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges = parse(draw(y))
    assert len(nodes) == 3002 and len(edges) == 3001


def test_bad_arguments():
    with pytest.raises(TypeError, match="expects a Tensor"):
        draw([1.0])
    x = ember.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['w'\] is a list"):
        draw(x, params={"w": [1]})
    with pytest.raises(ValueError, match="format must be one of"):
        draw(x, format="jpeg-2000")


def test_render_without_dot_raises_clearly(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs the Graphviz `dot` program.*install graphviz"):
        draw(ember.randn(2, requires_grad=True).sum(), format="svg")


def test_writes_dot_text_to_a_path(tmp_path):
    x = ember.randn(2, requires_grad=True)
    path = tmp_path / "graph.dot"
    text = draw(x.sum(), path=str(path))
    assert path.read_text() == text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (environment feature)")
def test_render_svg_and_png(tmp_path):
    x = ember.randn(2, requires_grad=True)
    loss = (x * x).sum()
    svg = draw(loss, params={"x": x}, format="svg")
    assert b"<svg" in svg and b"MulBackward0" in svg
    png_path = tmp_path / "g.png"
    png = draw(loss, path=str(png_path))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png_path.read_bytes() == png
