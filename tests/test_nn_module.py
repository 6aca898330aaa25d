"""nn.Module and nn.Parameter vs PyTorch: registration, traversal names and order, state_dict
round trips and their error texts, train/eval, dtype moves, repr, hooks, and an end-to-end
`import ember as torch` training script."""
import re
import time
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from conftest import assert_close, to_torch, torch


def _build(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(4, 3)
            self.norm = lib.nn.BatchNorm1d(3)
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.register_buffer("step", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.ReLU(), lib.nn.Dropout(0.1),
                                          lib.nn.Linear(8, 2, bias=False))
            self.shared = self.head[0]  # the same module twice: deduplicated in traversals
            self.layers = lib.nn.ModuleList([lib.nn.Tanh(), lib.nn.GELU(approximate="tanh")])

        def forward(self, x):
            return self.head(self.block(x))
    return Net()


def test_parameter_is_a_leaf_tensor_aliasing_its_data():
    data = ember.randn(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.is_leaf and p.requires_grad and p.data_ptr() == data.data_ptr()
    assert p.requires_grad_(False) is p  # the native op hands back the same Python object
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(nn.Parameter(ember.tensor([1.0, 2.0]))) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    q = nn.Parameter(ember.ones(2))
    with ember.no_grad():
        q -= 1.0
    assert isinstance(q, nn.Parameter) and q.tolist() == [0.0, 0.0]
    q.data = ember.full((2,), 3.0)
    assert q.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="Parameter data must be a Tensor"):
        nn.Parameter([1.0])


def test_names_order_and_state_dict_keys_match_torch():
    model, tmodel = _build(ember), _build(torch)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in tmodel.named_parameters()]
    assert [n for n, _ in model.named_buffers()] == [n for n, _ in tmodel.named_buffers()]
    assert [n for n, _ in model.named_modules()] == [n for n, _ in tmodel.named_modules()]
    assert [n for n, _ in model.named_children()] == [n for n, _ in tmodel.named_children()]
    assert list(model.state_dict()) == list(tmodel.state_dict())
    assert list(model.state_dict(prefix="m.")) == list(tmodel.state_dict(prefix="m."))
    assert len(list(model.parameters())) == len(list(tmodel.parameters()))
    assert len(list(model.modules())) == len(list(tmodel.modules()))
    assert str(model) == str(tmodel)
    sd = model.state_dict()
    assert isinstance(sd, OrderedDict)
    assert all(not v.requires_grad for v in sd.values())
    assert sd["block.fc.weight"].data_ptr() == model.block.fc.weight.data_ptr()
    assert model.state_dict(keep_vars=True)["block.scale"] is model.block.scale
    assert model.get_submodule("head.0") is model.head[0]


def test_sequential_repr_and_container_behaviour_match_torch():
    def mlp(lib):
        return lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.ReLU(), lib.nn.Linear(16, 16), lib.nn.GELU(),
                                 lib.nn.Dropout(0.2), lib.nn.Linear(16, 3), lib.nn.LogSoftmax(dim=1))
    model, tmodel = mlp(ember), mlp(torch)
    assert str(model) == str(tmodel)
    assert repr(nn.ModuleList([nn.Linear(1, 1)] * 3)) == repr(torch.nn.ModuleList([torch.nn.Linear(1, 1)] * 3))
    assert len(model) == 7 and isinstance(model[-1], nn.LogSoftmax) and len(model[1:3]) == 2
    model.append(nn.Identity())
    assert len(model) == 8 and [type(m).__name__ for m in model][-1] == "Identity"
    del model[0]
    assert list(model._modules) == [str(i) for i in range(7)]
    with pytest.raises(IndexError, match="index 9 is out of range"):
        model[9]
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]


def test_load_state_dict_round_trip_and_errors_match_torch():
    model, tmodel = _build(ember), _build(torch)
    other = _build(ember)
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(tmodel.load_state_dict(tmodel.state_dict()))
    for (n, p), (_, q) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())

    def mangle(sd):
        sd = OrderedDict(sd)
        del sd["block.fc.bias"]
        sd["block.extra"] = sd["block.step"]
        sd["head.3.weight"] = sd["block.scale"] if isinstance(sd["block.scale"], ember.Tensor) \
            else sd["block.scale"]
        return sd
    sd, tsd = mangle(model.state_dict()), mangle(tmodel.state_dict())
    with pytest.raises(RuntimeError) as err:
        model.load_state_dict(sd)
    with pytest.raises(RuntimeError) as terr:
        tmodel.load_state_dict(tsd)
    assert str(err.value) == str(terr.value).replace("torch.Size", "ember.Size")
    assert "Missing key(s) in state_dict: \"block.fc.bias\"" in str(err.value)
    assert "size mismatch for head.3.weight: copying a param with shape ember.Size([3]) from checkpoint, " \
           "the shape in current model is ember.Size([2, 8])." in str(err.value)
    # strict=False still reports size mismatches; without them it returns the key lists
    del sd["head.3.weight"], tsd["head.3.weight"]
    keys = model.load_state_dict(sd, strict=False)
    tkeys = tmodel.load_state_dict(tsd, strict=False)
    assert keys.missing_keys == tkeys.missing_keys == ["block.fc.bias", "head.3.weight"]
    assert keys.unexpected_keys == tkeys.unexpected_keys == ["block.extra"]
    assert type(keys).__name__ == "_IncompatibleKeys"


def test_registration_rules_match_torch():
    for lib in (ember, torch):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.ones(2))
        m.t = lib.ones(2)  # a plain tensor attribute is neither a parameter nor a buffer
        assert [n for n, _ in m.named_parameters()] == ["w"] and list(m.state_dict()) == ["w"]
        m.register_parameter("none", None)
        assert list(m.state_dict()) == ["w"]
        with pytest.raises(TypeError, match="cannot assign .* as parameter 'w'"):
            m.w = lib.ones(2)
        with pytest.raises(KeyError, match="attribute 't' already exists"):
            m.register_buffer("t", lib.ones(1))
        with pytest.raises(KeyError, match="parameter name can.*t contain"):
            m.register_parameter("a.b", None)
        with pytest.raises(AttributeError, match="object has no attribute 'missing'"):
            m.missing
        del m.w
        assert list(m.parameters()) == []

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))
    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Forgot()
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_train_eval_apply_zero_grad_requires_grad():
    model = _build(ember)
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train("yes")
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and visited[0] == "Linear"
    x = ember.randn(5, 4)
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_double_float_and_devices():
    model = _build(ember)
    assert model.double() is model
    assert all(p.dtype == ember.float64 for p in model.parameters())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert model.block.norm.num_batches_tracked.dtype == ember.int64  # integer buffers keep their dtype
    assert model(ember.randn(3, 4, dtype=ember.float64)).dtype == ember.float64
    model.to(ember.float32)
    assert all(p.dtype == ember.float32 for p in model.parameters())
    model.float().to("cpu")
    assert model.cpu() is model
    with pytest.raises(RuntimeError) as err:
        model.to("cuda")
    with pytest.raises(RuntimeError) as terr:
        ember.ones(1).to("cuda")
    assert str(err.value) == str(terr.value)
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        model.to(ember.int64)


def test_forward_pre_hook_forward_hook_and_handles():
    lin = nn.Linear(3, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(args[0].tolist()) or out + 1)
    out = lin(ember.ones(1, 3))
    assert calls == [[[0.0, 0.0, 0.0]]]
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1, rtol=1e-6)
    h1.remove(), h2.remove()
    lin(ember.ones(1, 3))
    assert len(calls) == 1
    with lin.register_forward_hook(lambda m, a, o: calls.append(1)):
        lin(ember.ones(1, 3))
    lin(ember.ones(1, 3))
    assert len(calls) == 2


def _grad_norm_log(lib, model, x, y):
    log = []

    def hook(module, grad_input, grad_output):
        gi = grad_input[0]
        log.append((type(module).__name__, None if gi is None else round(float(gi.norm() if lib is torch else
                                                                              (gi * gi).sum().sqrt()), 5),
                    round(float(grad_output[0].norm() if lib is torch else (grad_output[0] ** 2).sum().sqrt()), 5)))
    for m in model:
        m.register_full_backward_hook(hook)
    lib.nn.functional.cross_entropy(model(x), y).backward()
    return log


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hooks_log_gradient_norms_like_torch():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    tmodel.load_state_dict({k: to_torch(v) for k, v in model.state_dict().items()})
    x = ember.randn(5, 4, dtype=ember.float32)
    y = ember.randint(0, 3, (5,))
    log = _grad_norm_log(ember, model, x, y)
    tlog = _grad_norm_log(torch, tmodel, to_torch(x), to_torch(y))
    assert [e[0] for e in log] == [e[0] for e in tlog] == ["Linear", "ReLU", "Linear"]
    assert log[-1][1] is None and tlog[-1][1] is None  # the input does not require grad
    for e, t in zip(log, tlog):
        np.testing.assert_allclose([v for v in e[1:] if v is not None], [v for v in t[1:] if v is not None],
                                   rtol=1e-4)
    # a hook may replace grad_input
    lin = nn.Linear(2, 2)
    xin = ember.randn(3, 2, requires_grad=True)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    lin(xin).sum().backward()
    assert not xin.grad.numpy().any()
    assert lin.weight.grad is not None
    # once per backward, also when the graph is run twice
    calls = []
    lin2 = nn.Linear(2, 2)
    lin2.register_full_backward_hook(lambda m, gi, go: calls.append((gi[0].shape, go[0].shape)))
    out = lin2(xin).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert calls == [((3, 2), (3, 2))] * 2


def test_import_ember_as_torch_mlp_trains_on_spirals():
    import ember as torch  # noqa: F811  (the point of the test)
    import ember.nn as nn
    from ember.data import spirals

    torch.manual_seed(0)
    X, y = spirals(n=600)
    # Activations of 600 x 32 stay under the elementwise threading grain: on a loaded 2-core CI box
    # OpenMP's thread wake-ups, not the maths, would dominate the run time.
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    loss_fn = nn.CrossEntropyLoss()
    lr = 0.7
    start = time.perf_counter()
    for step in range(300):
        loss = loss_fn(model(X), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    model.eval()
    with torch.no_grad():
        accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
    assert accuracy > 0.9, f"train accuracy {accuracy:.3f} after 300 steps ({time.perf_counter() - start:.1f}s)"
    assert re.match(r"Sequential\(\n  \(0\): Linear\(in_features=2, out_features=32, bias=True\)", str(model))
