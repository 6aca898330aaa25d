"""l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy and kl_div (native pointwise kernels,
kernels/loss_functors.h) and their modules, against PyTorch: values and gradients of input and
target for every reduction, float32 and float64, edge values (x = t, |x - t| = beta, p = 0 or 1,
target 0), weights, gradcheck in float64, and the errors."""
import warnings

import numpy as np
import pytest
from conftest import torch

import ember
import ember.nn.functional as F

TF = torch.nn.functional
DTYPES = [(ember.float32, torch.float32, 1e-5), (ember.float64, torch.float64, 1e-12)]


def _leaf(values, dtype, tdtype):
    return ember.tensor(values, dtype=dtype, requires_grad=True), torch.tensor(values, dtype=tdtype, requires_grad=True)


def _check(name, x, t, kwargs, dtype, tdtype, tol):
    ex, tx = _leaf(x, dtype, tdtype)
    et, tt = _leaf(t, dtype, tdtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = getattr(F, name)(ex, et, **kwargs)
        r = getattr(TF, name)(tx, tt, **kwargs)
    np.testing.assert_allclose(e.detach().numpy(), r.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(0).standard_normal(tuple(r.shape))
    e.backward(ember.tensor(g, dtype=dtype))
    r.backward(torch.tensor(g, dtype=tdtype))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol, equal_nan=True)
    np.testing.assert_allclose(et.grad.numpy(), tt.grad.numpy(), rtol=tol, atol=tol, equal_nan=True)


RNG = np.random.default_rng(3)
X = RNG.standard_normal((4, 5))
T_ = RNG.standard_normal((4, 5))
X[0, :3] = T_[0, :3] + np.array([0.0, 1.0, -1.0])  # x = t and |x - t| = beta = delta exactly
P = RNG.uniform(0.05, 0.95, (4, 5))
P[0, :2] = [0.0, 1.0]
Y = RNG.uniform(0, 1, (4, 5))
Y[1, :2] = [0.0, 1.0]
LOGP = np.log(RNG.dirichlet(np.ones(5), 4))
Q = RNG.dirichlet(np.ones(5), 4)
Q[2, 1] = 0.0


@pytest.mark.parametrize("dtype,tdtype,tol", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,x,t,kwargs", [
    ("l1_loss", X, T_, {}), ("smooth_l1_loss", X, T_, {}), ("smooth_l1_loss", X, T_, {"beta": 0.5}),
    ("smooth_l1_loss", X, T_, {"beta": 0.0}), ("huber_loss", X, T_, {}), ("huber_loss", X, T_, {"delta": 2.5}),
    ("binary_cross_entropy", P, Y, {}), ("kl_div", LOGP, Q, {}), ("kl_div", LOGP, np.log(Q + 0.1), {"log_target": True}),
])
def test_loss_values_and_gradients_match_torch(name, x, t, kwargs, reduction, dtype, tdtype, tol):
    _check(name, x, t, dict(kwargs, reduction=reduction), dtype, tdtype, tol)


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_batchmean_and_its_warning(log_target):
    target = np.log(Q + 0.1) if log_target else Q
    _check("kl_div", LOGP, target, {"reduction": "batchmean", "log_target": log_target}, ember.float64, torch.float64,
           1e-12)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ember.tensor(LOGP), ember.tensor(Q))


def test_weights_and_broadcast_warnings():
    w = RNG.uniform(0.5, 2.0, (5,))
    w_full = RNG.uniform(0.5, 2.0, (4, 5))
    for reduction in ("mean", "sum", "none"):
        e = F.binary_cross_entropy(ember.tensor(P), ember.tensor(Y), weight=ember.tensor(w), reduction=reduction)
        r = TF.binary_cross_entropy(torch.tensor(P), torch.tensor(Y), weight=torch.tensor(w), reduction=reduction)
        np.testing.assert_allclose(e.numpy(), r.numpy(), rtol=1e-12)
        e = F.huber_loss(ember.tensor(X), ember.tensor(T_), weight=ember.tensor(w_full), reduction=reduction)
        r = TF.huber_loss(torch.tensor(X), torch.tensor(T_), weight=torch.tensor(w_full), reduction=reduction)
        np.testing.assert_allclose(e.numpy(), r.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.l1_loss(ember.ones(2), ember.ones(2, 2))
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        TF.huber_loss(torch.tensor(X), torch.tensor(T_), weight=torch.tensor(w))
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.huber_loss(ember.tensor(X), ember.tensor(T_), weight=ember.tensor(w))


@pytest.mark.parametrize("fn", [
    lambda x, t: F.l1_loss(x, t), lambda x, t: F.smooth_l1_loss(x, t, beta=0.7), lambda x, t: F.huber_loss(x, t),
    lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
    lambda x, t: F.kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
    lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True),
])
def test_gradcheck(fn):
    x = ember.tensor(RNG.standard_normal((3, 4)) * 2, requires_grad=True)
    t = ember.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x, t))


def test_modules_match_torch():
    x, t = ember.tensor(X), ember.tensor(T_)
    tx, tt = torch.tensor(X), torch.tensor(T_)
    for mine, theirs in [(ember.nn.L1Loss(), torch.nn.L1Loss()),
                         (ember.nn.SmoothL1Loss(beta=0.3, reduction="sum"), torch.nn.SmoothL1Loss(beta=0.3, reduction="sum")),
                         (ember.nn.HuberLoss(delta=0.5), torch.nn.HuberLoss(delta=0.5))]:
        np.testing.assert_allclose(mine(x, t).numpy(), theirs(tx, tt).numpy(), rtol=1e-12)
        assert repr(mine) == repr(theirs)
    bce, tbce = ember.nn.BCELoss(weight=ember.tensor(Y)), torch.nn.BCELoss(weight=torch.tensor(Y))
    np.testing.assert_allclose(bce(ember.tensor(P), ember.tensor(Y)).numpy(), tbce(torch.tensor(P), torch.tensor(Y)).numpy())
    kl, tkl = ember.nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean")
    np.testing.assert_allclose(kl(ember.tensor(LOGP), ember.tensor(Q)).numpy(), tkl(torch.tensor(LOGP), torch.tensor(Q)).numpy())


def test_errors_match_torch():
    for call, tcall, kind, text in [
        (lambda: F.smooth_l1_loss(ember.ones(2), ember.ones(2), beta=-1.0),
         lambda: TF.smooth_l1_loss(torch.ones(2), torch.ones(2), beta=-1.0), RuntimeError, "negative values for beta"),
        (lambda: F.huber_loss(ember.ones(2), ember.ones(2), delta=0.0),
         lambda: TF.huber_loss(torch.ones(2), torch.ones(2), delta=0.0), RuntimeError, "non-positive values for delta"),
        (lambda: F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0])),
         lambda: TF.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])), RuntimeError,
         "all elements of input should be between 0 and 1"),
        (lambda: F.binary_cross_entropy(ember.tensor([0.5, 0.5]), ember.tensor([1.0])),
         lambda: TF.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([1.0])), ValueError,
         "that is different to the input size"),
    ]:
        with pytest.raises(kind, match=text):
            tcall()
        with pytest.raises(kind, match=text):
            call()
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([float("nan")]), ember.tensor([1.0]))  # as torch: NaN is not in [0, 1]
