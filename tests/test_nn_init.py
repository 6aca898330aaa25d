"""nn.init: PyTorch's fan computations and gains exactly, the distributions' bounds and spread
statistically (loose), no_grad and in-place behaviour, and the error messages."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from conftest import torch

init = nn.init


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3), (6, 3, 2, 2)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def test_gains_match_torch():
    cases = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
             ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]
    for name, param in cases:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return np.abs(a).max(), a.mean(), a.std()


def test_uniform_family_bounds_and_spread():
    ember.manual_seed(0)
    w = ember.empty(200, 300, requires_grad=True)
    fan_in, fan_out = 300, 200
    cases = [
        (lambda t: init.kaiming_uniform_(t), math.sqrt(2.0) * math.sqrt(3.0 / fan_in)),  # a=0: gain sqrt(2)
        (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(fan_in)),
        (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(6.0 / fan_out)),
        (lambda t: init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(6.0 / (fan_in + fan_out))),
        (lambda t: init.uniform_(t, -0.3, 0.3), 0.3),
    ]
    for fill, bound in cases:
        out = fill(w)
        assert out is w and w.requires_grad and w.grad_fn is None  # in place, under no_grad
        hi, mean, std = _stats(w)
        assert bound * 0.99 < hi <= bound * (1 + 1e-6)  # float32 rounding of the bound
        assert abs(mean) < 0.02 * bound
        assert abs(std - bound / math.sqrt(3)) < 0.02 * bound


def test_normal_family_spread():
    ember.manual_seed(1)
    w = ember.empty(250, 200, dtype=ember.float64)
    cases = [
        (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), 0.0, math.sqrt(2.0 / 200)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", a=0.1), 0.0,
         math.sqrt(2.0 / (1 + 0.01)) / math.sqrt(250)),
        (lambda t: init.xavier_normal_(t), 0.0, math.sqrt(2.0 / 450)),
        (lambda t: init.normal_(t, 2.0, 0.5), 2.0, 0.5),
    ]
    for fill, mean, std in cases:
        assert fill(w) is w
        _, m, s = _stats(w)
        assert abs(m - mean) < 0.02 * std + 1e-12 + 0.01 * abs(mean)
        assert abs(s - std) < 0.02 * std


def test_constant_zeros_ones_and_errors():
    w = nn.Parameter(ember.randn(3, 4))
    assert init.zeros_(w) is w and not w.detach().numpy().any()
    assert init.ones_(w) is w and (w.detach().numpy() == 1).all()
    assert init.constant_(w, 0.25) is w and (w.detach().numpy() == 0.25).all()
    assert w.is_leaf and w.grad_fn is None
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_normal_(ember.empty(0, 3))


def _truncated_normal_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - shift ** 2
    return mean + std * shift, std * math.sqrt(var)


# (mean, std, a, b): the default, an asymmetric window (values redrawn: most mass inside), a far tail
# (uniform proposals accepted by density: little mass inside), and a window narrower than std.
TRUNC_CASES = [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0), (1.0, 1.0, 2.0, 2.5), (0.0, 3.0, -0.1, 0.3)]


@pytest.mark.parametrize("mean,std,a,b", TRUNC_CASES)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_trunc_normal_bounds_moments_and_torch_quantiles(mean, std, a, b, dtype):
    w = nn.Parameter(ember.empty(300, 400, dtype=dtype))
    assert init.trunc_normal_(w, mean, std, a, b, generator=ember.Generator().manual_seed(7)) is w
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    x = w.detach().numpy().astype(np.float64)
    assert a <= x.min() and x.max() <= b
    expected_mean, expected_std = _truncated_normal_moments(mean, std, a, b)
    assert abs(x.mean() - expected_mean) < 0.01 * expected_std
    assert abs(x.std() - expected_std) < 0.01 * expected_std
    t = torch.nn.init.trunc_normal_(torch.empty(300, 400, dtype=torch.float64), mean, std, a, b,
                                    generator=torch.Generator().manual_seed(7))
    # Two samples of 120,000: a decile's standard error is about 0.007 std apart, so 0.04 std is ~5 of them.
    q = np.linspace(0.05, 0.95, 10)
    np.testing.assert_allclose(np.quantile(x, q), np.quantile(t.numpy(), q), atol=0.04 * expected_std)


def test_trunc_normal_reproduces_with_a_generator_and_warns_as_torch():
    def draw(seed, **kw):
        return init.trunc_normal_(ember.empty(50, 40), generator=ember.Generator().manual_seed(seed), **kw).numpy()

    for kw in ({}, dict(mean=1.0, a=2.0, b=2.5)):
        assert (draw(3, **kw) == draw(3, **kw)).all()
        assert not (draw(3, **kw) == draw(4, **kw)).all()
    ember.manual_seed(11)
    first = init.trunc_normal_(ember.empty(20)).numpy()
    ember.manual_seed(11)
    assert (init.trunc_normal_(ember.empty(20)).numpy() == first).all()
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\] in nn.init.trunc_normal_"):
        init.trunc_normal_(ember.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape,gain,dtype", [((6, 4), 1, ember.float32), ((4, 6), 2.5, ember.float32),
                                              ((5, 3, 2), 0.5, ember.float64), ((1, 7), 1, ember.float64),
                                              ((64, 64), math.sqrt(2), ember.float32)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain, dtype):
    w = nn.Parameter(ember.empty(*shape, dtype=dtype))
    assert init.orthogonal_(w, gain=gain, generator=ember.Generator().manual_seed(2)) is w
    assert w.is_leaf and w.grad_fn is None
    m = w.detach().numpy().astype(np.float64).reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    tol = 1e-5 if dtype == ember.float32 else 1e-12
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(len(gram)), atol=tol * gain ** 2 * 10)


def test_orthogonal_reproduces_is_haar_and_errors_as_torch():
    def draw(seed):
        return init.orthogonal_(ember.empty(8, 5), generator=ember.Generator().manual_seed(seed)).numpy()

    assert (draw(1) == draw(1)).all() and not (draw(1) == draw(2)).all()
    # Q's signs are fixed by R's diagonal: without that, LAPACK's QR biases Q[0, 0] to one sign.
    g = ember.Generator().manual_seed(0)
    corner = [init.orthogonal_(ember.empty(3, 3, dtype=ember.float64), generator=g)[0, 0].item() for _ in range(600)]
    assert abs(np.mean(corner)) < 0.08  # Haar: mean 0, std 1/sqrt(3), so 0.08 is 3.4 standard errors
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        init.orthogonal_(ember.empty(4))
    empty = ember.empty(0, 3)
    assert init.orthogonal_(empty) is empty
