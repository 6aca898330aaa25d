"""ember.optim against torch.optim: same init, same gradients, ten steps, same parameters; the
state dict round trip; PyTorch's argument errors; the native step's bookkeeping."""
import itertools

import numpy as np
import pytest
from conftest import torch

import ember

SHAPES = [(3, 4), (4,), ()]


def _inits(dtype, seed=0):
    rng = np.random.default_rng(seed)
    np_dtype = np.float64 if dtype == ember.float64 else np.float32
    return [rng.normal(size=s).astype(np_dtype) for s in SHAPES]


def _grad_fn(step, i, value):
    """A closed-form gradient that depends on the parameter and the step (so momentum matters)."""
    return np.cos(value * (i + 1)) + 0.1 * (step + 1) * value - 0.3


def _run_pair(ember_cls, torch_cls, kwargs, dtype=ember.float64, steps=10, skip_grad=None):
    inits = _inits(dtype)
    ep = [ember.tensor(a, requires_grad=True) for a in inits]
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    eo, to = ember_cls(ep, **kwargs), torch_cls(tp, **kwargs)
    for step in range(steps):
        for i, (e, t) in enumerate(zip(ep, tp)):
            if skip_grad is not None and skip_grad(step, i):
                e.grad, t.grad = None, None
                continue
            g = _grad_fn(step, i, t.detach().numpy())
            e.grad = ember.tensor(np.array(g, dtype=inits[i].dtype))
            t.grad = torch.tensor(np.array(g, dtype=inits[i].dtype))
        eo.step()
        to.step()
    return ep, tp, eo, to


def _check(ep, tp, tol):
    for e, t in zip(ep, tp):
        assert e.dtype == {torch.float32: ember.float32, torch.float64: ember.float64}[t.dtype]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, vals)) for vals in itertools.product(*options.values())]


SGD_GRID = [kw for kw in _grid(lr=[0.05], momentum=[0.0, 0.9], dampening=[0.0, 0.3], nesterov=[False, True],
                               weight_decay=[0.0, 0.1], maximize=[False, True])
            if not (kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0))]
ADAM_GRID = _grid(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1], amsgrad=[False, True],
                  maximize=[False, True])
RMSPROP_GRID = _grid(lr=[0.01], alpha=[0.99, 0.8], weight_decay=[0.0, 0.1], momentum=[0.0, 0.5],
                     centered=[False, True], maximize=[False, True])
CASES = ([("SGD", kw) for kw in SGD_GRID] + [("Adam", kw) for kw in ADAM_GRID]
         + [("AdamW", kw) for kw in ADAM_GRID] + [("RMSprop", kw) for kw in RMSPROP_GRID])


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_ten_steps_match_torch_float64(name, kwargs):
    ep, tp, _, _ = _run_pair(getattr(ember.optim, name), getattr(torch.optim, name), kwargs)
    _check(ep, tp, 1e-6)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("Adam", dict(lr=0.05, amsgrad=True)), ("AdamW", dict(lr=0.05)),
                                         ("RMSprop", dict(centered=True, momentum=0.5))])
def test_float32_matches_torch(name, kwargs):
    ep, tp, _, _ = _run_pair(getattr(ember.optim, name), getattr(torch.optim, name), kwargs, dtype=ember.float32)
    _check(ep, tp, 1e-5)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_defaults_match_torch(name):
    ep, tp, eo, to = _run_pair(getattr(ember.optim, name), getattr(torch.optim, name), {})
    _check(ep, tp, 1e-6)
    for key, value in eo.defaults.items():
        assert to.defaults[key] == value, key


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05)),
                                         ("RMSprop", dict(momentum=0.5, centered=True))])
def test_parameters_without_grad_are_skipped(name, kwargs):
    # Parameter 1 has no gradient on even steps: it keeps its value, and its state (momentum,
    # step count) only advances on the steps where it has one -- as in torch.
    ep, tp, eo, to = _run_pair(getattr(ember.optim, name), getattr(torch.optim, name), kwargs,
                               skip_grad=lambda step, i: i == 1 and step % 2 == 0)
    _check(ep, tp, 1e-6)
    if "step" in to.state[tp[1]]:
        assert eo.state[ep[1]]["step"].item() == to.state[tp[1]]["step"].item() == 5


def test_tiny_model_trains_like_torch():
    """A two-layer MLP built from raw tensors, real backward, Adam with two param groups."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 3)), rng.integers(0, 4, size=16)
    w1, b1, w2, b2 = rng.normal(size=(3, 8)) * 0.5, np.zeros(8), rng.normal(size=(8, 4)) * 0.5, np.zeros(4)
    ep = [ember.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    tp = [torch.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
    groups = lambda ps: [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01, "weight_decay": 0.1}]  # noqa: E731
    eo, to = ember.optim.Adam(groups(ep), lr=0.05), torch.optim.Adam(groups(tp), lr=0.05)
    eX, ey, tX, ty = ember.tensor(X), ember.tensor(y), torch.tensor(X), torch.tensor(y)
    for _ in range(10):
        eo.zero_grad()
        to.zero_grad()
        el = ember.nn.functional.cross_entropy((eX @ ep[0] + ep[1]).relu() @ ep[2] + ep[3], ey)
        tl = torch.nn.functional.cross_entropy((tX @ tp[0] + tp[1]).relu() @ tp[2] + tp[3], ty)
        el.backward()
        tl.backward()
        eo.step()
        to.step()
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-9)
    _check(ep, tp, 1e-6)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                         ("AdamW", {}), ("RMSprop", dict(momentum=0.5, centered=True))])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    cls = getattr(ember.optim, name)
    ep, tp, eo, to = _run_pair(cls, getattr(torch.optim, name), kwargs, steps=5)
    sd = eo.state_dict()
    tsd = to.state_dict()
    assert sd["param_groups"][0]["params"] == tsd["param_groups"][0]["params"] == [0, 1, 2]
    assert sorted(sd["state"]) == sorted(tsd["state"])
    assert sorted(sd["state"][0]) == sorted(tsd["state"][0])
    # A fresh optimizer over copies of the parameters, loaded from the state dict, steps like the original.
    copies = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in ep]
    fresh = cls(copies, lr=123.0)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == eo.param_groups[0]["lr"]
    for step in range(5, 10):
        for i, (a, b) in enumerate(zip(ep, copies)):
            g = np.asarray(_grad_fn(step, i, a.detach().numpy()), dtype=np.float64)
            a.grad, b.grad = ember.tensor(g), ember.tensor(g)
        eo.step()
        fresh.step()
    for a, b in zip(ep, copies):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # load_state_dict copied the state: the saved dict's tensors are untouched by later steps.
    assert fresh.state[copies[0]] is not sd["state"][0]


def test_load_state_dict_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]})


def test_argument_errors_match_torch():
    p = [ember.zeros(2, requires_grad=True)]
    cases = [(ember.optim.SGD, dict(lr=-1), "Invalid learning rate: -1"),
             (ember.optim.SGD, dict(momentum=-0.5), "Invalid momentum value: -0.5"),
             (ember.optim.SGD, dict(weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
             (ember.optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
             (ember.optim.Adam, dict(lr=-0.1), "Invalid learning rate: -0.1"),
             (ember.optim.Adam, dict(eps=-1.0), "Invalid epsilon value: -1.0"),
             (ember.optim.Adam, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
             (ember.optim.AdamW, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
             (ember.optim.AdamW, dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
             (ember.optim.RMSprop, dict(alpha=-0.5), "Invalid alpha value: -0.5"),
             (ember.optim.RMSprop, dict(momentum=-1.0), "Invalid momentum value: -1.0")]
    for cls, kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            cls(p, **kwargs)
        with pytest.raises(ValueError, match=msg):
            getattr(torch.optim, cls.__name__)([torch.zeros(2, requires_grad=True)], **kwargs)


def test_param_group_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got ember.Tensor"):
        ember.optim.SGD(a)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        ember.optim.Adam([])
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        ember.optim.SGD([{"params": {a}}])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is int"):
        ember.optim.SGD([a, 3])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ember.optim.SGD([a * 2])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        ember.optim.SGD([{"params": [a]}, {"params": [a, b]}])
    opt = ember.optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "momentum": 0.5})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.5
    assert opt.param_groups[1]["params"][0] is b
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b]})


def test_zero_grad():
    a = ember.ones(3, requires_grad=True)
    opt = ember.optim.SGD([a])
    (a * a).sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and a.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None
    opt.step()  # no gradients: nothing happens
    assert a.tolist() == [1.0, 1.0, 1.0] and len(opt.state) == 0


def test_step_bumps_versions_and_records_no_graph():
    a = ember.ones(3, requires_grad=True)
    out = (a * a).sum()  # mul saved a
    a.grad = ember.ones(3)
    opt = ember.optim.Adam([a], lr=0.1)
    v = a._version
    opt.step()
    assert a._version == v + 1 and a.grad_fn is None and a.is_leaf
    assert opt.state[a]["exp_avg"].grad_fn is None and not opt.state[a]["exp_avg"].requires_grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_closure_is_called_with_grad_enabled():
    a = ember.tensor([2.0], requires_grad=True)
    opt = ember.optim.SGD([a], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and a.item() == 1.0  # 2 - 0.25 * 4


def test_non_contiguous_parameter_is_updated_in_place():
    p = ember.from_numpy(np.arange(6.0).reshape(3, 2).T)
    assert not p.is_contiguous()
    p.requires_grad_(True)
    p.grad = ember.ones(2, 3, dtype=ember.float64)
    ember.optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.detach().numpy(), np.arange(6.0).reshape(3, 2).T - 0.5)


def test_native_step_checks_its_inputs():
    p = ember.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[sgd\] gradient of parameter 0 has shape \(3,\)"):
        ember._C._sgd_step([p], [ember.zeros(3)], [None], 0.1, 0.0, 0.0, False, 0.0, False)
    with pytest.raises(RuntimeError, match=r"\[sgd\] gradient of parameter 0 has dtype ember.float64"):
        ember._C._sgd_step([p], [ember.zeros(2, 2, dtype=ember.float64)], [None], 0.1, 0.0, 0.0, False, 0.0, False)
    with pytest.raises(ValueError, match=r"\[adam\] expected one exp_avg per parameter, got 0 for 1"):
        ember._C._adam_step([p], [ember.zeros(2, 2)], [], [], [], [], 0.1, 0.9, 0.99, 1e-8, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match=r"\[adam\] state 'exp_avg' of parameter 0 has shape \(4,\)"):
        ember._C._adam_step([p], [ember.zeros(2, 2)], [ember.zeros(4)], [ember.zeros(2, 2)], [None],
                            [ember.tensor(0.0)], 0.1, 0.9, 0.99, 1e-8, 0.0, False, False, False)
    q = ember.zeros(2, dtype=ember.int64)
    with pytest.raises(TypeError, match="only floating parameters"):
        ember._C._sgd_step([q], [q], [None], 0.1, 0.0, 0.0, False, 0.0, False)

