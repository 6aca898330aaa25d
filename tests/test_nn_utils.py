"""nn.utils: clip_grad_norm_ / clip_grad_value_ and parameters <-> vector vs PyTorch."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from conftest import assert_close, to_torch, torch


def _params_with_grads(scale=1.0):
    ember.manual_seed(4)
    params = [nn.Parameter(ember.randn(3, 4)), nn.Parameter(ember.randn(5)), nn.Parameter(ember.randn(2, 2))]
    for p in params:
        p.grad = ember.randn(*p.shape) * scale
    tparams = []
    for p in params:
        t = torch.nn.Parameter(to_torch(p.detach()))
        t.grad = to_torch(p.grad)
        tparams.append(t)
    return params, tparams


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    params, tparams = _params_with_grads()
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    assert total.dim() == 0
    assert_close(total, ttotal, rtol=1e-5)
    for p, t in zip(params, tparams):
        assert_close(p.grad, t.grad, rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_single_tensor_skips_missing_grads_and_nonfinite():
    p = nn.Parameter(ember.ones(4))
    assert nn.utils.clip_grad_norm_([p, nn.Parameter(ember.ones(2))], 1.0).item() == 0.0
    p.grad = ember.full((4,), 2.0)
    total = nn.utils.clip_grad_norm_(p, 2.0)  # a single tensor is accepted as well
    assert total.item() == 4.0
    np.testing.assert_allclose(p.grad.numpy(), np.full(4, 2.0 * 2.0 / (4.0 + 1e-6)), rtol=1e-6)
    p.grad = ember.tensor([1.0, float("inf"), 0.0, 0.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    params, tparams = _params_with_grads(scale=3.0)
    nn.utils.clip_grad_value_(params, 1.5)
    torch.nn.utils.clip_grad_value_(tparams, 1.5)
    for p, t in zip(params, tparams):
        assert_close(p.grad, t.grad)


def test_parameters_to_vector_and_back_match_torch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tmodel.load_state_dict({k: to_torch(v) for k, v in model.state_dict().items()})
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert_close(vec, torch.nn.utils.parameters_to_vector(tmodel.parameters()))
    vec.sum().backward()  # differentiable, like torch's
    assert all((p.grad.numpy() == 1).all() for p in model.parameters())
    new = ember.arange(vec.numel(), dtype=ember.float32)
    nn.utils.vector_to_parameters(new, model.parameters())
    torch.nn.utils.vector_to_parameters(to_torch(new), tmodel.parameters())
    for p, t in zip(model.parameters(), tmodel.parameters()):
        assert_close(p.detach(), t.detach())
        assert isinstance(p, nn.Parameter) and p.is_leaf
    with pytest.raises(TypeError, match="expected ember.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], model.parameters())
