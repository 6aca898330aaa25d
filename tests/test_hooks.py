"""Tensor hooks against PyTorch: register_hook on leaves and non-leaves (replacing or observing the
gradient), removable handles, hook order with retain_grad, post-accumulate-grad hooks, errors."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch


def _run_hooked_graph(x):
    """x -> y = x*x with a leaf hook doubling, an observing and a replacing hook on y."""
    seen = []
    x.register_hook(lambda g: g * 2)                   # leaf: runs before accumulation
    y = x * x
    y.register_hook(lambda g: seen.append(g.tolist()))  # non-leaf, observing (returns None)
    y.register_hook(lambda g: g + 1)                   # non-leaf, replacing
    (y * 3).sum().backward()
    return seen


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_leaf_and_non_leaf_hooks_replace_the_gradient_like_torch(dtype):
    ex = ember.tensor([1.0, -2.0, 3.0], dtype=dtype, requires_grad=True)
    tx = to_torch(ex)
    assert _run_hooked_graph(ex) == _run_hooked_graph(tx)
    assert_close(ex.grad, tx.grad)


def test_hooks_run_in_registration_order_and_retain_grad_sees_the_final_value():
    out = {}
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        order = []
        y.retain_grad()
        y.register_hook(lambda g: order.append("a") or g * 10)
        y.register_hook(lambda g: order.append("b") or g + 1)
        y.sum().backward()
        out[lib] = (order, y.grad.tolist(), x.grad.tolist())
    assert out[ember] == out[torch]


def test_removed_hooks_no_longer_run_and_handles_work_as_context_managers():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    h = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    h.remove()
    h.remove()  # removing twice is harmless, as in PyTorch
    (x * 2).sum().backward()
    assert calls == [1]
    y = x * 3
    with y.register_hook(lambda g: g * 0):
        pass
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 2 + 3, 2 + 2 + 3])


def test_hook_on_leaf_applies_to_autograd_grad_too():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 5)
        (g,) = lib.autograd.grad((x * x).sum(), x)
        np.testing.assert_allclose(g.detach().numpy(), [10.0, 20.0])


def test_post_accumulate_grad_hook_sees_the_updated_grad():
    for lib in (ember, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        h = p.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (p * p).sum().backward()
        (p * 3).sum().backward()
        h.remove()
        (p * 3).sum().backward()
        assert seen == [[2.0, 4.0], [5.0, 7.0]]


def test_hook_errors():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.tensor([1.0]).register_hook(lambda g: g)
    x.register_hook(lambda g: ember.zeros(3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="hook changed the size"):
        (x * 2).sum().backward()
    y = ember.tensor([1.0], requires_grad=True)
    y.register_hook(lambda g: "not a tensor")
    with pytest.raises(TypeError, match="must return None or a Tensor"):
        (y * 2).sum().backward()
    z = ember.tensor([1.0], requires_grad=True)
    z.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match="non-leaf"):
        (z * 2).register_post_accumulate_grad_hook(lambda t: None)
