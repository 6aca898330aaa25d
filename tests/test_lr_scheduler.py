"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: the lr of every group over 30 steps,
get_last_lr, state_dict round trips, and the argument errors."""
import copy
import warnings

import pytest
from conftest import torch

import ember
from ember.optim import lr_scheduler as els

# Some tests step a schedule without stepping its optimizer; test_warns_when_stepped_before_the_optimizer
# checks that warning itself.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`",
                                        "ignore:Seems like `optimizer.step\\(\\)` has been overridden")


def _seq(m, o):
    return m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.9)],
                          milestones=[5])


def _seq3(m, o):
    return m.SequentialLR(o, [m.ExponentialLR(o, gamma=0.8), m.StepLR(o, step_size=3, gamma=0.5),
                              m.CosineAnnealingLR(o, T_max=6, eta_min=0.001)], milestones=[4, 12])


# (id, optimizer, factory): factory(m, opt) builds the schedule from module m (ember's or torch's).
CASES = [
    ("StepLR", "SGD", lambda m, o: m.StepLR(o, step_size=4, gamma=0.5)),
    ("MultiStepLR", "SGD", lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    ("CosineAnnealingLR", "SGD", lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    ("LinearLR", "SGD", lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12)),
    ("LinearLR-default", "SGD", lambda m, o: m.LinearLR(o)),
    ("LambdaLR", "SGD", lambda m, o: m.LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch + 0.01 * (epoch % 3))),
    ("ExponentialLR", "SGD", lambda m, o: m.ExponentialLR(o, gamma=0.87)),
    ("WarmRestarts", "SGD", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=0.002)),
    ("WarmRestarts-Tmult", "Adam", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    ("OneCycleLR-cos", "SGD", lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=30)),
    ("OneCycleLR-linear", "Adam", lambda m, o: m.OneCycleLR(o, max_lr=0.5, epochs=4, steps_per_epoch=8,
                                                             pct_start=0.25, anneal_strategy="linear")),
    ("OneCycleLR-three-phase", "SGD", lambda m, o: m.OneCycleLR(
        o, max_lr=2.0, total_steps=31, three_phase=True, base_momentum=[0.8, 0.7], max_momentum=0.9,
        div_factor=10.0, final_div_factor=100.0)),
    ("OneCycleLR-no-momentum", "RMSprop", lambda m, o: m.OneCycleLR(o, max_lr=0.4, total_steps=30,
                                                                     cycle_momentum=False)),
    ("SequentialLR", "SGD", _seq),
    ("SequentialLR-3", "Adam", _seq3),
]
CASE_IDS = [c[0] for c in CASES]


def _optimizers(opt="SGD"):
    e = [ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)]
    t = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.02}]  # noqa: E731
    kw = {"momentum": 0.5} if opt == "SGD" else {}
    return getattr(ember.optim, opt)(groups(e), lr=0.1, **kw), getattr(torch.optim, opt)(groups(t), lr=0.1, **kw)


def _pair(factory, opt="SGD"):
    eo, to = _optimizers(opt)
    return eo, to, factory(els, eo), factory(torch.optim.lr_scheduler, to)


def _assert_groups_match(eo, to):
    """lr and the hyperparameters a schedule may move (momentum, betas) are the same floats."""
    for eg, tg in zip(eo.param_groups, to.param_groups):
        for key in ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert (key in eg) == (key in tg), key
            if key in eg:
                assert eg[key] == tg[key], (key, eg[key], tg[key])


@pytest.mark.parametrize("name,opt,factory", CASES, ids=CASE_IDS)
def test_thirty_steps_match_torch(name, opt, factory):
    eo, to, es, ts = _pair(factory, opt)
    assert es.get_last_lr() == ts.get_last_lr()
    _assert_groups_match(eo, to)
    for _ in range(30):
        eo.step()
        to.step()
        es.step()
        ts.step()
        assert es.get_last_lr() == ts.get_last_lr()
        _assert_groups_match(eo, to)
        assert [g["lr"] for g in eo.param_groups] == es.get_last_lr()
    assert es.last_epoch == ts.last_epoch == 30


@pytest.mark.parametrize("name,opt,factory", [c for c in CASES if c[0].startswith(("Step", "MultiStep", "Cos",
                                                                                    "Linear", "Exp", "Warm"))],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_step_with_an_epoch_uses_the_closed_form_as_torch(name, opt, factory):
    eo, to, es, ts = _pair(factory, opt)
    epochs = (3, 4, 11, 2, 17, 25) + ((2.5, 13.25) if name.startswith("Warm") else ())
    for epoch in epochs:
        with warnings.catch_warnings(record=True) as ember_warnings:
            warnings.simplefilter("always")
            es.step(epoch)
        with warnings.catch_warnings(record=True) as torch_warnings:
            warnings.simplefilter("always")
            ts.step(epoch)
        assert len(ember_warnings) == len(torch_warnings)  # the deprecation (not from WarmRestarts)
        assert es.get_last_lr() == ts.get_last_lr() and es.last_epoch == ts.last_epoch


@pytest.mark.parametrize("name,opt,factory", CASES, ids=CASE_IDS)
def test_state_dict_round_trip(name, opt, factory):
    eo, to, es, ts = _pair(factory, opt)
    for _ in range(7):
        eo.step(), to.step(), es.step(), ts.step()
    state, torch_state = es.state_dict(), ts.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 7
    assert set(state) == set(torch_state)
    # A new optimizer and scheduler, restored from ember's state or from torch's, continue as the original.
    for saved in (state, torch_state):
        eo2, _ = _optimizers(opt)
        es2 = factory(els, eo2)
        es2.load_state_dict(saved)
        eo2.load_state_dict(eo.state_dict())
        assert es2.state_dict().keys() == state.keys()
        assert es2.get_last_lr() == es.get_last_lr()
        for _ in range(10):
            es2.step()
        _assert_groups_match(eo2, _advanced(to, ts, 10))
    assert es.state_dict().keys() == state.keys()  # loading does not take keys out of the saved dict


def _advanced(to, ts, n):
    """A copy of torch's optimizer after n more scheduler steps (the original stays where it is)."""
    to2 = copy.deepcopy(to)
    ts2 = copy.deepcopy(ts)
    ts2.optimizer = to2
    for s in getattr(ts2, "_schedulers", []):
        s.optimizer = to2
    for _ in range(n):
        ts2.step()
    return to2


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


# A metric with plateaus, small non-improvements (inside the threshold), a rise and a long flat tail.
METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.89995, 0.8, 0.8, 0.81, 0.79, 0.7, 0.7, 0.7, 0.7, 0.7, 0.6, 0.65,
           0.6, 0.6] + [0.5] * 12 + [0.4999, 0.45, 0.45]
PLATEAU_CASES = [
    {},
    dict(patience=2),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs"),
    dict(patience=1, cooldown=3, min_lr=[0.01, 0.001], factor=0.3),
    dict(patience=0, factor=0.5, threshold=0.05, eps=0.004),
    dict(mode="max", patience=1, threshold_mode="rel", threshold=0.2, min_lr=0.03),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=[str(i) for i in range(len(PLATEAU_CASES))])
def test_reduce_lr_on_plateau_follows_torch_over_a_metric_with_plateaus(kwargs):
    eo, to = _optimizers("Adam")
    es = els.ReduceLROnPlateau(eo, **kwargs)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kwargs)
    assert es.state_dict() == ts.state_dict()
    for i, metric in enumerate(METRICS):
        # Metrics may be Python floats or 0-d tensors, as in PyTorch.
        es.step(ember.tensor(metric, dtype=ember.float64) if i % 3 == 0 else metric)
        ts.step(metric)
        assert es.get_last_lr() == ts.get_last_lr()
        assert es.state_dict() == ts.state_dict()
        _assert_groups_match(eo, to)
        if i == 15:
            state = es.state_dict()
    assert es.get_last_lr() != [0.1, 0.02] or kwargs.get("mode") == "max"
    # Restored at step 16 (also from torch's dict), a new scheduler reduces at the same epochs.
    eo2, _ = _optimizers("Adam")
    es2 = els.ReduceLROnPlateau(eo2, mode="max")
    es2.load_state_dict(state)
    for group, lr in zip(eo2.param_groups, state["_last_lr"]):
        group["lr"] = lr
    for metric in METRICS[16:]:
        es2.step(metric)
    assert es2.state_dict() == es.state_dict()


def test_reduce_lr_on_plateau_needs_min_lrs_for_added_groups():
    eo, to = _optimizers("SGD")
    for opt, m in ((eo, els), (to, torch.optim.lr_scheduler)):
        default = m.ReduceLROnPlateau(opt, patience=0, min_lr=0.0)
        listed = m.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({"params": [(ember if m is els else torch).zeros(1, requires_grad=True)]})
        default.step(1.0), default.step(2.0)
        assert len(default.min_lrs) == 3
        listed.step(1.0)
        with pytest.raises(RuntimeError, match=r"number of param groups in the `optimizer` \(3\) differs"):
            listed.step(2.0)
    assert [g["lr"] for g in eo.param_groups] == [g["lr"] for g in to.param_groups]


def _steps(scheduler, n):
    for _ in range(n):
        scheduler.step()


# Constructions PyTorch refuses: ember raises the same exception type with the same message.
BAD = [
    lambda m, o: m.ExponentialLR("sgd", gamma=0.5),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2.0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=0),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, epochs=2.0, steps_per_epoch=3),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=-3),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0, 3.0], total_steps=10),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10, base_momentum=(0.8,)),
    lambda m, o: _steps(m.OneCycleLR(o, max_lr=1.0, total_steps=2), 3),
    lambda m, o: m.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.ReduceLROnPlateau(o, mode="avg"),
    lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda m, o: m.ReduceLROnPlateau(None),
    lambda m, o: m.SequentialLR(o, [], milestones=[]),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), object()], milestones=[3]),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], milestones=[3]),
    lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ExponentialLR(o, 0.5)], milestones=[3, 5]),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_argument_errors_match_torch(i):
    eo, to = _optimizers("SGD")
    with pytest.raises(Exception) as torch_error:
        BAD[i](torch.optim.lr_scheduler, to)
    with pytest.raises(torch_error.type) as ember_error:
        BAD[i](els, eo)
    assert str(ember_error.value) == str(torch_error.value)


def test_one_cycle_needs_momentum_and_sequential_one_optimizer():
    opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    other = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
    del other.defaults["momentum"]
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        els.OneCycleLR(other, max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        els.SequentialLR(opt, [els.StepLR(opt, 2), els.StepLR(other, 2)], milestones=[2])


def test_get_lr_outside_step_warns_as_torch():
    sched = els.ExponentialLR(ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0), gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
