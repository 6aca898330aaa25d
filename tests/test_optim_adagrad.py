"""optim.Adagrad against torch.optim.Adagrad: 20-step trajectories (float32 and float64, every
option), eager state and its state_dict round trip, defaults and argument errors."""
import itertools

import numpy as np
import pytest
from conftest import torch

import ember

SHAPES = [(3, 4), (5,), ()]
GRID = [dict(zip(("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"), v))
        for v in itertools.product([0.05], [0.0, 0.1], [0.0, 0.1], [0.0, 0.5], [1e-10, 1e-3], [False, True])]


def _grad(step, i, value):
    return np.cos(value * (i + 1)) + 0.1 * (step + 1) * value - 0.3


def _run(kwargs, np_dtype, steps=20, skip=None):
    rng = np.random.default_rng(0)
    inits = [rng.normal(size=s).astype(np_dtype) for s in SHAPES]
    ep = [ember.tensor(a, requires_grad=True) for a in inits]
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    eo, to = ember.optim.Adagrad(ep, **kwargs), torch.optim.Adagrad(tp, **kwargs)
    for step in range(steps):
        for i, (e, t) in enumerate(zip(ep, tp)):
            if skip is not None and skip(step, i):
                e.grad = t.grad = None
                continue
            g = np.asarray(_grad(step, i, t.detach().numpy()), dtype=np_dtype)
            e.grad, t.grad = ember.tensor(g), torch.tensor(g)
        eo.step()
        to.step()
    return ep, tp, eo, to


def _check(ep, tp, eo, to, tol):
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
        es, ts = eo.state[e], to.state[t]
        assert sorted(es) == sorted(ts) == ["step", "sum"]
        assert es["step"].item() == ts["step"].item() and es["step"].dtype == ember.float32
        np.testing.assert_allclose(es["sum"].numpy(), ts["sum"].numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("kwargs", GRID, ids=[str(i) for i in range(len(GRID))])
def test_twenty_steps_match_torch_float64(kwargs):
    _check(*_run(kwargs, np.float64), 1e-12)


@pytest.mark.parametrize("kwargs", GRID[::5] + [{}], ids=[str(i) for i in range(len(GRID[::5]) + 1)])
def test_twenty_steps_match_torch_float32(kwargs):
    _check(*_run(kwargs, np.float32), 1e-5)


def test_defaults_and_eager_state_match_torch():
    ep, tp, eo, to = _run({}, np.float64, steps=0)
    assert eo.defaults == to.defaults
    # torch makes the state in __init__: step 0 and a sum of initial_accumulator_value.
    p = ember.zeros(2, 3, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"].item() == 0.0
    assert opt.state[p]["sum"].dtype == ember.float64 and (opt.state[p]["sum"].numpy() == 0.25).all()
    # A group added later gets its state on its first step, from the optimizer's defaults.
    q = ember.zeros(2, requires_grad=True)
    opt.add_param_group({"params": [q], "lr": 0.5})
    assert len(opt.state[q]) == 0
    q.grad = ember.ones(2)
    opt.step()
    assert opt.state[q]["step"].item() == 1.0 and opt.state[q]["sum"].tolist() == [1.25, 1.25]


def test_parameters_without_grad_are_skipped():
    ep, tp, eo, to = _run(dict(lr=0.1, lr_decay=0.05), np.float64, skip=lambda step, i: i == 1 and step % 2 == 0)
    _check(ep, tp, eo, to, 1e-12)
    assert eo.state[ep[1]]["step"].item() == 10


def test_state_dict_round_trip_continues_identically():
    ep, tp, eo, to = _run(dict(lr_decay=0.01, weight_decay=0.05), np.float64, steps=5)
    sd, tsd = eo.state_dict(), to.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    assert all(sorted(sd["state"][k]) == sorted(tsd["state"][k]) for k in sd["state"])
    copies = [ember.tensor(p.detach().numpy(), requires_grad=True) for p in ep]
    fresh = ember.optim.Adagrad(copies, lr=123.0)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == eo.param_groups[0]["lr"]
    for step in range(5, 20):
        for i, (a, b) in enumerate(zip(ep, copies)):
            g = np.asarray(_grad(step, i, a.detach().numpy()))
            a.grad, b.grad = ember.tensor(g), ember.tensor(g)
        eo.step()
        fresh.step()
    for a, b in zip(ep, copies):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert fresh.state[copies[0]]["sum"] is not sd["state"][0]["sum"]


def test_argument_errors_match_torch():
    cases = [(dict(lr=-1), "Invalid learning rate: -1"), (dict(lr_decay=-0.5), "Invalid lr_decay value: -0.5"),
             (dict(weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
             (dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
             (dict(eps=-1.0), "Invalid epsilon value: -1.0")]
    for kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            ember.optim.Adagrad([ember.zeros(2, requires_grad=True)], **kwargs)
        with pytest.raises(ValueError, match=msg):
            torch.optim.Adagrad([torch.zeros(2, requires_grad=True)], **kwargs)


def test_native_step_checks_state():
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.ones(3)
    with pytest.raises(RuntimeError, match=r"\[adagrad\] state 'sum' of parameter 0 has shape"):
        ember._C._adagrad_step([p], [p.grad], [ember.zeros(4)], [ember.tensor(0.0)], 0.1, 0.0, 0.0, 1e-10, False)
    with pytest.raises(RuntimeError, match="must be a one-element floating CPU tensor"):
        ember._C._adagrad_step([p], [p.grad], [ember.zeros(3)], [ember.tensor(0)], 0.1, 0.0, 0.0, 1e-10, False)
