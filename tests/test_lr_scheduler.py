"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: the lr of every group over 30 steps,
get_last_lr, state_dict round trips, and the argument errors."""
import math
import warnings

import pytest
from conftest import torch

import ember
from ember.optim import lr_scheduler as els

CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=12)),
    ("LinearLR", {}),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch + 0.01 * (epoch % 3))),
]


def _pair(kind, kwargs, opt="SGD"):
    e = [ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)]
    t = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.02}]  # noqa: E731
    eo, to = getattr(ember.optim, opt)(groups(e), lr=0.1), getattr(torch.optim, opt)(groups(t), lr=0.1)
    return eo, to, getattr(els, kind)(eo, **kwargs), getattr(torch.optim.lr_scheduler, kind)(to, **kwargs)


@pytest.mark.parametrize("kind,kwargs", CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_thirty_steps_match_torch(kind, kwargs):
    eo, to, es, ts = _pair(kind, kwargs)
    assert es.get_last_lr() == ts.get_last_lr()
    for _ in range(30):
        eo.step()
        to.step()
        es.step()
        ts.step()
        for a, b in zip(es.get_last_lr(), ts.get_last_lr()):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (a, b)
        assert [g["lr"] for g in eo.param_groups] == es.get_last_lr()
    assert es.last_epoch == ts.last_epoch == 30
    assert [g["initial_lr"] for g in eo.param_groups] == [0.1, 0.02]


@pytest.mark.parametrize("kind,kwargs", CASES[:4], ids=[k for k, _ in CASES[:4]])
def test_state_dict_round_trip(kind, kwargs):
    eo, to, es, ts = _pair(kind, kwargs, opt="Adam")
    for _ in range(7):
        eo.step()
        es.step()
    state = es.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 7
    assert set(state) >= {"base_lrs", "last_epoch", "_step_count", "_last_lr"}
    # A new optimizer and scheduler, restored, continue along the same schedule.
    p2 = [ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)]
    eo2 = ember.optim.Adam([{"params": [p2[0]]}, {"params": [p2[1]], "lr": 0.02}], lr=0.1)
    es2 = getattr(els, kind)(eo2, **kwargs)
    es2.load_state_dict(state)
    eo2.load_state_dict(eo.state_dict())
    for _ in range(10):
        es.step()
        es2.step()
        assert es.get_last_lr() == es2.get_last_lr()


def test_lambda_lr_state_dict_skips_functions_and_keeps_callable_objects():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = ember.optim.SGD([{"params": [ember.zeros(1, requires_grad=True)]},
                           {"params": [ember.zeros(1, requires_grad=True)]}], lr=1.0)
    f = Warmup(4)
    sched = els.LambdaLR(opt, [f, lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}, None]
    f.n = 100
    sched.load_state_dict(state)
    assert f.n == 4


def test_errors():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        els.StepLR(3, step_size=1)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        els.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        els.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1"):
        els.LinearLR(opt, end_factor=1.5)
    with pytest.raises(KeyError, match="initial_lr"):
        els.StepLR(ember.optim.SGD([ember.zeros(1, requires_grad=True)]), step_size=2, last_epoch=3)


def test_warns_when_stepped_before_the_optimizer():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    sched = els.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    sched2 = els.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
