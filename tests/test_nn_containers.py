"""nn.ModuleDict, ParameterList, ParameterDict, Unflatten (and the list operations of Sequential and
ModuleList) against torch.nn: the same structure built with both gives the same parameter names,
state_dict keys and repr, and each container operation leaves both in the same state."""
from collections import OrderedDict

import numpy as np
import pytest
from conftest import assert_close, to_torch, torch

import ember
import ember.nn as enn

tnn = torch.nn


class _Lib:
    """One namespace per engine, so a test builds the same thing with either."""

    def __init__(self, lib, nn):
        self.lib, self.nn = lib, nn

    def t(self, *shape, dtype="float32"):
        return self.lib.ones(*shape, dtype=getattr(self.lib, dtype))

    def param(self, *shape, **kw):
        return self.nn.Parameter(self.t(*shape, **kw))


E, T = _Lib(ember, enn), _Lib(torch, tnn)


def _net(x):
    nn = x.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleDict({"enc": nn.Linear(3, 4), "act": nn.ReLU()})
            self.blocks["dec"] = nn.Linear(4, 2)
            self.blocks.update([("shape", nn.Sequential(nn.Flatten(0), nn.Unflatten(0, (2, -1))))])
            self.scales = nn.ParameterList([x.param(2), x.t(3)])
            self.scales.append(x.t(1, 4))
            self.scales.extend([x.param(2, 2, dtype="float64")])
            self.biases = nn.ParameterDict({"b": x.t(2), "a": x.param(3)})
            self.biases["c"] = x.param(5)
            self.biases.update(OrderedDict([("z", x.t(1)), ("y", x.t(1))]))
            self.heads = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.heads.insert(1, nn.Tanh())
            self.heads.append(nn.ParameterList([x.param(1)]))

        def forward(self, inp):
            h = self.blocks["act"](self.blocks["enc"](inp)) * self.biases["c"][:4].sum()
            out = self.blocks["dec"](h) + self.scales[0] + self.biases["b"]
            return self.blocks["shape"](out).sum() * self.scales[-1].sum()

    return Net()


def _describe(module):
    return dict(names=[(n, tuple(p.shape)) for n, p in module.named_parameters()],
                keys=list(module.state_dict().keys()), repr=_ember_spelling(repr(module)),
                children=[n for n, _ in module.named_children()], modules=[n for n, _ in module.named_modules()])


def _ember_spelling(text):
    return text.replace("torch.", "ember.")


def test_a_net_of_containers_has_torchs_names_keys_and_repr():
    e, t = _net(E), _net(T)
    assert _describe(e) == _describe(t)
    assert len(list(e.parameters())) == len(list(t.parameters())) == 20
    # The same values through the same structure give the same output and gradients.
    with torch.no_grad():
        for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
            pt.copy_(torch.from_numpy(np.random.default_rng(len(pe.shape)).standard_normal(tuple(pe.shape))))
            pe.data = ember.tensor(pt.numpy(), dtype=pe.dtype)
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 3)), dtype=ember.float32)
    ye, yt = e(x), t(to_torch(x))
    assert_close(ye, yt, rtol=1e-4, atol=1e-5)
    ye.backward()
    yt.backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        if pt.grad is None:
            assert pe.grad is None, n
        else:
            assert_close(pe.grad, pt.grad, rtol=1e-4, atol=1e-5)
    # state_dict round trip into a fresh net.
    fresh = _net(E)
    fresh.load_state_dict(e.state_dict())
    assert_close(fresh.biases["a"], to_torch(e.biases["a"]).detach())


# Operations on a container built the same way in both engines: (name, build(x), operation(container, x)).
OPS = [
    ("md-pop", lambda x: x.nn.ModuleDict([("a", x.nn.Linear(1, 2)), ("b", x.nn.ReLU())]), lambda c, x: c.pop("a")),
    ("md-del-len-contains", lambda x: x.nn.ModuleDict({"a": x.nn.Linear(1, 2), "b": x.nn.Tanh()}),
     lambda c, x: (c.__delitem__("a"), len(c), "a" in c, "b" in c, list(c))),
    ("md-keys-values-items", lambda x: x.nn.ModuleDict({"z": x.nn.Linear(1, 2), "a": x.nn.Linear(2, 1)}),
     lambda c, x: (list(c.keys()), [type(v).__name__ for v in c.values()], [k for k, _ in c.items()])),
    ("md-update-from-moduledict", lambda x: x.nn.ModuleDict({"a": x.nn.Linear(1, 2)}),
     lambda c, x: c.update(x.nn.ModuleDict({"b": x.nn.ReLU(), "a": x.nn.Linear(3, 3)}))),
    ("md-clear", lambda x: x.nn.ModuleDict({"a": x.nn.Linear(1, 2)}), lambda c, x: (c.clear(), len(c))),
    ("pl-index-slice", lambda x: x.nn.ParameterList([x.t(i + 1) for i in range(5)]),
     lambda c, x: (tuple(c[-1].shape), [tuple(p.shape) for p in c[1:4:2]], type(c[1:3]).__name__, len(c))),
    ("pl-setitem-wraps", lambda x: x.nn.ParameterList([x.t(2), x.t(3)]),
     lambda c, x: (c.__setitem__(-1, x.t(4, dtype="float64")), type(c[1]).__name__, c[1].requires_grad)),
    ("pl-objects", lambda x: x.nn.ParameterList([x.t(2), "a string", x.nn.Linear(1, 1)]),
     lambda c, x: [type(v).__name__ for v in c]),
    ("pl-iadd", lambda x: x.nn.ParameterList(), lambda c, x: c.__iadd__([x.t(2), x.param(1)]) and len(c)),
    ("pd-sorted-mapping", lambda x: x.nn.ParameterDict({"b": x.t(1), "a": x.t(2), "c": x.t(3)}),
     lambda c, x: list(c.keys())),
    ("pd-pairs", lambda x: x.nn.ParameterDict([("b", x.t(1)), ("a", x.t(2))]), lambda c, x: list(c)),
    ("pd-pop-popitem", lambda x: x.nn.ParameterDict(OrderedDict(b=x.t(1), a=x.t(2), c=x.t(3))),
     lambda c, x: (tuple(c.pop("a").shape), c.popitem()[0], list(c.keys()))),
    ("pd-get-setdefault", lambda x: x.nn.ParameterDict({"a": x.t(2)}),
     lambda c, x: (c.get("zz"), tuple(c.get("a").shape), tuple(c.setdefault("b", x.t(4)).shape),
                   tuple(c.setdefault("a", x.t(9)).shape))),
    ("pd-copy-or", lambda x: x.nn.ParameterDict({"a": x.t(2)}),
     lambda c, x: (list(c.copy().keys()), list((c | x.nn.ParameterDict({"b": x.t(1)})).keys()),
                   c.__ior__(x.nn.ParameterDict({"c": x.t(1)})) is c, list(reversed(c)))),
    ("pd-values-items-clear", lambda x: x.nn.ParameterDict(OrderedDict(b=x.t(1), a=x.t(2))),
     lambda c, x: ([tuple(v.shape) for v in c.values()], [k for k, _ in c.items()], c.clear(), len(c))),
    ("pd-fromkeys", lambda x: x.nn.ParameterDict(), lambda c, x: list(c.fromkeys(["q", "p"], x.t(1)).keys())),
    ("pd-none-and-objects", lambda x: x.nn.ParameterDict(OrderedDict(n=None, s="str", m=x.nn.Linear(1, 1))),
     lambda c, x: [type(v).__name__ for v in c.values()]),
    ("ml-pop-del-add", lambda x: x.nn.ModuleList([x.nn.Linear(1, 1), x.nn.ReLU(), x.nn.Tanh(), x.nn.ReLU()]),
     lambda c, x: (type(c.pop(1)).__name__, c.__delitem__(slice(0, 1)), len(c + [x.nn.GELU()]), len(c))),
    ("ml-insert", lambda x: x.nn.ModuleList([x.nn.Linear(1, 1), x.nn.ReLU()]),
     lambda c, x: (c.insert(1, x.nn.Tanh()), c.insert(3, x.nn.Linear(2, 2)))),
    ("seq-insert-pop", lambda x: x.nn.Sequential(x.nn.Linear(1, 2), x.nn.ReLU(), x.nn.Linear(2, 1)),
     lambda c, x: (c.insert(-1, x.nn.Tanh()) is c, type(c.pop(0)).__name__, c.insert(3, x.nn.ReLU()))),
]


def _outcome(build, op, x):
    c = build(x)
    try:
        result = op(c, x)
    except Exception as exc:  # errors are part of the behaviour compared
        result = (type(exc).__name__, _ember_spelling(str(exc)))
    return _ember_spelling(repr(result)), _describe(c)


@pytest.mark.parametrize("build,op", [o[1:] for o in OPS], ids=[o[0] for o in OPS])
def test_container_operations_match_torch(build, op):
    assert _outcome(build, op, E) == _outcome(build, op, T)


ERRORS = [
    ("md-not-iterable", lambda x: x.nn.ModuleDict(3)),
    ("md-bad-pair", lambda x: x.nn.ModuleDict([("a", x.nn.ReLU(), 1)])),
    ("md-not-pair", lambda x: x.nn.ModuleDict([3])),
    ("md-dotted-key", lambda x: x.nn.ModuleDict({"a.b": x.nn.ReLU()})),
    ("md-not-module", lambda x: x.nn.ModuleDict({"a": 3})),
    ("md-missing", lambda x: x.nn.ModuleDict()["nope"]),
    ("pl-out-of-range", lambda x: x.nn.ParameterList([x.t(1)])[1]),
    ("pl-str-index", lambda x: x.nn.ParameterList([x.t(1)])["0"]),
    ("pl-extend-tensor", lambda x: x.nn.ParameterList().extend(x.t(3))),
    ("pl-extend-int", lambda x: x.nn.ParameterList(5)),
    ("pl-call", lambda x: x.nn.ParameterList()(1)),
    ("pd-int-key", lambda x: x.nn.ParameterDict()[1]),
    ("pd-set-int-key", lambda x: x.nn.ParameterDict().__setitem__(1, x.t(1))),
    ("pd-missing", lambda x: x.nn.ParameterDict().pop("a")),
    ("pd-bad-pair", lambda x: x.nn.ParameterDict([("a",)])),
    ("pd-not-iterable", lambda x: x.nn.ParameterDict(2.5)),
    ("pd-call", lambda x: x.nn.ParameterDict()(1)),
    ("pd-int-tensor", lambda x: x.nn.ParameterDict({"a": x.t(2, dtype="int64")})),
    ("ml-extend-int", lambda x: x.nn.ModuleList(3)),
    ("ml-out-of-range", lambda x: x.nn.ModuleList([x.nn.ReLU()]).pop(2)),
    ("seq-insert-range", lambda x: x.nn.Sequential(x.nn.ReLU()).insert(3, x.nn.ReLU())),
    ("unflatten-sizes-type", lambda x: x.nn.Unflatten(1, 6)),
    ("unflatten-elem-type", lambda x: x.nn.Unflatten(1, (2, 3.0))),
]


# Raised by ember's core with its own wording ("only Tensors of floating point dtype can require gradients,
# got ember.int64"): the type is compared, not the message.
CORE_WORDING = {"pd-int-tensor"}


@pytest.mark.parametrize("name,make", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors_match_torch(name, make):
    with pytest.raises(Exception) as torch_error:
        make(T)
    with pytest.raises(torch_error.type) as ember_error:
        make(E)
    if name not in CORE_WORDING:
        assert _ember_spelling(str(ember_error.value)) == _ember_spelling(str(torch_error.value))


@pytest.mark.parametrize("shape,dim,sizes", [
    ((3, 8), 1, (2, -1)), ((3, 8), -1, [2, 2, 2]), ((3, 8), 0, (3, 1)), ((4, 6), 0, (-1, 2)), ((0, 4), 0, (2, 0)),
    ((5,), 0, (5,)), ((3, 8), 1, (2, 3)), ((3, 8), 1, ()), ((3, 8), 5, (2, 4)), ((3, 8), 1, (-1, -1)),
    ((3, 8), 1, (-2, -4)), ((3, 8), 1, (0, -1)), ((0, 4), 0, (-1, 0)), ((3, 8), -3, (1, 3)),
])
def test_unflatten_matches_torch(shape, dim, sizes):
    xe = ember.tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    xt = to_torch(xe)
    layer_e, layer_t = enn.Unflatten(dim, sizes), tnn.Unflatten(dim, sizes)
    assert repr(layer_e) == repr(layer_t)
    try:
        yt = layer_t(xt)
    except (RuntimeError, IndexError) as torch_error:
        with pytest.raises(type(torch_error)) as ember_error:
            layer_e(xe)
        # PyTorch prefixes some of these with "unflatten got an unexpected error:" and a C++ trace.
        assert str(ember_error.value) in str(torch_error)
        return
    ye = layer_e(xe)
    assert_close(ye, yt)
    assert ye.data_ptr() == xe.data_ptr()  # a view


def test_unflatten_of_a_0d_tensor_raises_index_error():
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        enn.Unflatten(0, (1,))(ember.tensor(1.0))


def test_optimizer_sees_parameter_list_and_dict_entries():
    model = enn.Module()
    model.ws = enn.ParameterList([ember.ones(2), ember.ones(3)])
    model.bs = enn.ParameterDict({"b": ember.zeros(2)})
    opt = ember.optim.SGD(model.parameters(), lr=0.5)
    loss = (model.ws[0] * model.bs["b"] + model.ws[0]).sum() + model.ws[1].sum()
    loss.backward()
    opt.step()
    assert model.ws[0].tolist() == [0.5, 0.5] and model.bs["b"].tolist() == [-0.5, -0.5]
