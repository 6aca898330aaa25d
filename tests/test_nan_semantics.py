"""NaN through the ops where it used to vanish (issue 13): relu on every path (the fused
Linear+ReLU included), clamp with NaN inputs and NaN bounds, and the backward formulas of
max/min/maximum/minimum/relu/fmax/fmin at a NaN, each against PyTorch."""
import math

import numpy as np
import pytest
import torch

import ember

NAN = float("nan")


def same(e, t):
    np.testing.assert_array_equal(np.asarray(e.detach().numpy()), t.detach().numpy())


def grads(L, fn, *datas):
    xs = [L.tensor(d, requires_grad=True) for d in datas]
    out = fn(L, *xs)
    out.sum().backward()
    return out, [x.grad for x in xs]


def compare(fn, *datas):
    (eo, eg), (to, tg) = grads(ember, fn, *datas), grads(torch, fn, *datas)
    same(eo, to)
    for e, t in zip(eg, tg):
        same(e, t)


X = [NAN, 1.0, -2.0, 0.0, -0.0, 3.0]


@pytest.mark.parametrize("fn", [
    lambda L, x: L.relu(x),
    lambda L, x: L.nn.functional.relu(x * 1.0),
    lambda L, x: x.relu(),
    lambda L, x: L.clamp(x, min=0.0),
    lambda L, x: L.clamp(x, min=-1.0, max=0.5),
    lambda L, x: L.clamp(x, min=NAN),
    lambda L, x: L.clamp(x, max=NAN),
    lambda L, x: x.clamp_min(NAN),
    lambda L, x: L.clamp(x, min=L.tensor(NAN)),
    lambda L, x: L.clamp(x, max=L.tensor([0.0, NAN, 0.0, 0.0, 0.0, 0.0])),
    lambda L, x: L.maximum(x, L.zeros(6)),
    lambda L, x: L.minimum(x, L.zeros(6)),
    lambda L, x: L.fmax(x, L.zeros(6)),
    lambda L, x: L.fmin(x, L.zeros(6)),
    lambda L, x: x.max().reshape(1),
    lambda L, x: x.min().reshape(1),
    lambda L, x: x.amax().reshape(1),
    lambda L, x: x.amin(0, keepdim=True),
    lambda L, x: x.reshape(2, 3).max(1).values,
    lambda L, x: x.reshape(2, 3).min(0).values,
], ids=lambda f: "")
def test_unary_paths_keep_nan_and_its_gradient(fn):
    compare(fn, X)


def test_two_nans_in_max_share_the_gradient():
    compare(lambda L, x: x.max().reshape(1), [NAN, 1.0, NAN, 2.0])
    compare(lambda L, x: x.min().reshape(1), [NAN, 1.0, NAN, 2.0])


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_binary_nan_and_ties(name):
    a = [1.0, 2.0, NAN, 3.0, NAN, 5.0]
    b = [1.0, NAN, NAN, 4.0, 0.0, -5.0]
    compare(lambda L, x, y: getattr(L, name)(x, y), a, b)
    compare(lambda L, x, y: getattr(x, name)(y), a, b)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_dtypes_broadcast_and_gradcheck(name):
    for dt_e, dt_t in [(ember.int64, torch.int64), (ember.int32, torch.int32), (ember.bool, torch.bool)]:
        a, b = [[1, 0, 3]], [[2], [0]]
        same(getattr(ember, name)(ember.tensor(a, dtype=dt_e), ember.tensor(b, dtype=dt_e)),
             getattr(torch, name)(torch.tensor(a, dtype=dt_t), torch.tensor(b, dtype=dt_t)))
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((3, 4)), dtype=ember.float64, requires_grad=True)
    y = ember.tensor(rng.standard_normal((4,)), dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda p, q: getattr(ember, name)(p, q), (x, y))


def test_fused_linear_relu_keeps_nan():
    results = []
    for L in (ember, torch):
        model = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU())
        with L.no_grad():
            # outputs well away from 0, so rounding can't decide the ReLU's branch
            model[0].weight.copy_(L.tensor([[1.0, 0.5, -0.25], [-1.0, 2.0, 0.5], [0.5, -0.5, 1.0], [2.0, 1.0, 1.0]]))
            model[0].bias.copy_(L.tensor([0.5, -0.5, 0.0, NAN]))
        x = L.tensor([[NAN, 1.0, 2.0], [1.0, -1.0, 0.5]], requires_grad=True)
        y = model(x)
        y.sum().backward()
        results.append((y.detach().numpy().copy(), x.grad.numpy().copy(), model[0].weight.grad.numpy().copy()))
    for e, t in zip(*results):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-6, equal_nan=True)


def test_relu_gradient_at_zero_is_zero_and_at_nan_is_one():
    x = ember.tensor([0.0, NAN, -1.0, 2.0], requires_grad=True)
    ember.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert math.isnan(ember.relu(ember.tensor(NAN)).item())
