"""Adam and AdamW with capturable=True (Note [Capturable Adam], kernels/optim_functors.h): the step
count lives on the parameter's device and the kernel counts it, so a CUDA graph can replay step().
The oracle is torch's own capturable path (foreach, as torch takes on CUDA). torch refuses
capturable=True for CPU tensors; ember allows it, so its CPU twin is checked here against torch's
code with that device check widened to the CPU."""
import numpy as np
import pytest
from conftest import torch

import ember

SHAPES = [(3, 4), (5,), (), (0, 2)]


@pytest.fixture
def torch_capturable_on_cpu(monkeypatch):
    import torch.optim.adam as torch_adam
    supported = torch_adam._get_capturable_supported_devices
    monkeypatch.setattr(torch_adam, "_get_capturable_supported_devices", lambda *a, **k: supported(*a, **k) + ["cpu"])


def _grad(step, i, value):
    return np.cos(value * (i + 1)) + 0.1 * (step + 1) * value - 0.3


def _run(ember_cls, torch_cls, kwargs, np_dtype, device="cpu", steps=8):
    rng = np.random.default_rng(0)
    inits = [rng.normal(size=s).astype(np_dtype) for s in SHAPES]
    ep = [ember.tensor(a).to(device).requires_grad_() for a in inits]
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    eo = ember_cls(ep, capturable=True, **kwargs)
    to = torch_cls(tp, capturable=True, foreach=True, **kwargs)
    for step in range(steps):
        for i, (e, t) in enumerate(zip(ep, tp)):
            g = _grad(step, i, t.detach().numpy()).astype(np_dtype)
            e.grad, t.grad = ember.tensor(g).to(device), torch.tensor(g)
        eo.step()
        to.step()
    return ep, tp, eo, to


ADAM_CASES = [dict(lr=0.05), dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.1),
              dict(lr=0.05, amsgrad=True, maximize=True), dict(lr=1e-3, eps=1e-6, weight_decay=0.1, amsgrad=True)]


def _check_against_torch(device, np_dtype, opt_name, kwargs):
    ember_cls, torch_cls = getattr(ember.optim, opt_name), getattr(torch.optim, opt_name)
    ep, tp, eo, to = _run(ember_cls, torch_cls, kwargs, np_dtype, device)
    tol = 1e-12 if np_dtype == np.float64 else 2e-6
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.detach().cpu().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    for e, t in zip(ep, tp):
        es, ts = eo.state[e], to.state[t]
        assert es["step"].device == e.device and es["step"].dtype == ember.float32 and es["step"].dim() == 0
        assert es["step"].item() == ts["step"].item() == 8.0
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(es[name].cpu().numpy(), ts[name].numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_name", ["Adam", "AdamW"])
@pytest.mark.parametrize("kwargs", ADAM_CASES)
def test_capturable_matches_torch_on_the_cpu(torch_capturable_on_cpu, np_dtype, opt_name, kwargs):
    _check_against_torch("cpu", np_dtype, opt_name, kwargs)


@pytest.mark.gpu
@pytest.mark.parametrize("np_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", ADAM_CASES[1:3])
def test_capturable_matches_torch_on_cuda(torch_capturable_on_cpu, np_dtype, kwargs):
    _check_against_torch("cuda", np_dtype, "AdamW", kwargs)


def test_the_step_count_takes_the_default_dtype():
    p = ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([p], capturable=True)
    ember.set_default_dtype(ember.float64)
    try:
        p.grad = ember.ones(3, dtype=ember.float32)
        opt.step()
    finally:
        ember.set_default_dtype(ember.float32)
    assert opt.state[p]["step"].dtype == ember.float64 and opt.state[p]["step"].item() == 1.0


def test_capturable_differs_from_a_host_count_only_in_rounding():
    # Same algebra, other rounding: 1 - 0.999^t in float32 cancels most of its digits early on
    # (about 1e-5 relative at t = 5), in torch as here.
    out = []
    for capturable in (False, True):
        p = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
        opt = ember.optim.Adam([p], lr=0.1, capturable=capturable)
        for k in range(5):
            p.grad = ember.tensor([0.5, -1.0, 2.0]) * (k + 1)
            opt.step()
        out.append(p.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=3e-5)
    assert not np.array_equal(out[0], out[1])  # the count really was kept apart


def test_a_state_dict_moves_the_step_as_torch_does():
    p = ember.zeros(2, requires_grad=True)
    plain = ember.optim.Adam([p])
    p.grad = ember.ones(2)
    plain.step()
    saved = plain.state_dict()
    saved["param_groups"][0]["capturable"] = True
    saved["state"][0]["step"] = ember.tensor(1.0, dtype=ember.float64)
    q = ember.zeros(2, requires_grad=True)
    opt = ember.optim.Adam([q], capturable=True)
    opt.load_state_dict(saved)
    assert opt.state[q]["step"].dtype == ember.float32  # a capturable group's count is float32
    q.grad = ember.ones(2)
    opt.step()
    assert opt.state[q]["step"].item() == 2.0


def test_differentiable_is_refused_by_name():
    with pytest.raises(ValueError, match="AdamW: differentiable=True is not supported"):
        ember.optim.AdamW([ember.zeros(2, requires_grad=True)], differentiable=True)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_fused_keeps_the_count_on_the_device_and_matches_torchs_fused(name):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((40, 30)).astype(np.float32)
    grads = [rng.standard_normal((40, 30)).astype(np.float32) for _ in range(30)]
    p, q = ember.nn.Parameter(ember.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    opt = getattr(ember.optim, name)([p], lr=1e-2, weight_decay=0.1, fused=True)
    t_opt = getattr(torch.optim, name)([q], lr=1e-2, weight_decay=0.1, fused=True)
    for g in grads:
        p.grad, q.grad = ember.tensor(g), torch.tensor(g)
        opt.step()
        t_opt.step()
    step, t_step = opt.state[p]["step"], t_opt.state[q]["step"]
    assert (step.dtype, str(step.device), step.item()) == (ember.float32, "cpu", 30.0) == \
        (ember.float32, str(t_step.device), t_step.item())
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=1e-5)
    # Not a vacuous comparison: the weights moved well past the tolerance.
    assert not np.allclose(p.detach().numpy(), w0, atol=1e-3)
    assert opt.param_groups[0]["fused"] is True
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
        getattr(ember.optim, name)([p], fused=True, foreach=True)


def test_the_group_records_the_flags_torch_records():
    opt = ember.optim.Adam([ember.zeros(2, requires_grad=True)])
    t_opt = torch.optim.Adam([torch.zeros(2, requires_grad=True)])
    assert sorted(opt.param_groups[0]) == sorted(t_opt.param_groups[0])


@pytest.mark.gpu
def test_a_count_on_another_device_is_refused():
    p = ember.zeros(3, device="cuda", requires_grad=True)
    opt = ember.optim.Adam([p], capturable=True)
    p.grad = ember.ones(3, device="cuda")
    opt.step()
    opt.state[p]["step"] = ember.tensor(1.0)  # a hand-edited state: the count on the CPU
    with pytest.raises(RuntimeError, match=r"\[adam\] state 'step' of parameter 0 must be a one-element floating "
                                           r"tensor on cuda:0 .*got one on cpu"):
        opt.step()


@pytest.mark.gpu
def test_loading_into_a_capturable_group_puts_the_count_on_the_device():
    p = ember.zeros(2, device="cuda", requires_grad=True)
    plain = ember.optim.Adam([p])
    p.grad = ember.ones(2, device="cuda")
    plain.step()
    saved = plain.state_dict()
    assert not saved["state"][0]["step"].is_cuda
    saved["param_groups"][0]["capturable"] = True
    q = ember.zeros(2, device="cuda", requires_grad=True)
    opt = ember.optim.Adam([q], capturable=True)
    opt.load_state_dict(saved)
    assert opt.state[q]["step"].is_cuda


@pytest.mark.gpu
def test_fused_on_the_device_never_syncs():
    p = ember.zeros(64, device="cuda", requires_grad=True)
    opt = ember.optim.AdamW([p], lr=0.1, fused=True)
    p.grad = ember.ones(64, device="cuda")
    opt.step()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    for _ in range(3):
        opt.step()
    assert ember.cuda.transfer_stats()["syncs"] == 0
    assert str(opt.state[p]["step"].device) == "cuda:0" and opt.state[p]["step"].item() == 4.0
