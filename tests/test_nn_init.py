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
