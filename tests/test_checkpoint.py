"""utils.checkpoint: identical gradients with and without checkpointing and vs torch; random ops
replay; activations really are not kept; the allocator counters and RNG state it relies on."""
import numpy as np
import pytest

import ember
from conftest import assert_close, torch
from ember.utils.checkpoint import checkpoint, checkpoint_sequential


def mlp_params(lib, dtype, seed=0, width=16, depth=4):
    rng = np.random.default_rng(seed)
    arrays = [(rng.normal(size=(width, width)) / width ** 0.5, rng.normal(size=width) * 0.1) for _ in range(depth)]
    if lib is ember:
        return [(ember.tensor(w, dtype=dtype, requires_grad=True), ember.tensor(b, dtype=dtype, requires_grad=True))
                for w, b in arrays]
    tdt = torch.float32 if dtype == ember.float32 else torch.float64
    return [(torch.tensor(w, dtype=tdt, requires_grad=True), torch.tensor(b, dtype=tdt, requires_grad=True))
            for w, b in arrays]


def block(params):
    def run(h, scale=1.0):
        for w, b in params:
            h = (h.matmul(w) + b).tanh() * scale
        return h
    return run


def forward(lib, params, x, ck, **kw):
    h = x
    for i in range(0, len(params), 2):
        f = block(params[i:i + 2])
        h = ck(f, h, 0.9, **kw) if ck else f(h, 0.9)
    return (h * h).sum()


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("use_reentrant", [False, True])
def test_gradients_identical_to_no_checkpoint_and_to_torch(dtype, use_reentrant):
    xs = np.random.default_rng(5).normal(size=(8, 16))
    grads = []
    for ck in (None, checkpoint):
        params = mlp_params(ember, dtype)
        x = ember.tensor(xs, dtype=dtype, requires_grad=True)
        loss = forward(ember, params, x, ck, use_reentrant=use_reentrant) if ck else forward(ember, params, x, None)
        loss.backward()
        grads.append([x.grad] + [g.grad for p in params for g in p])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    tparams = mlp_params(torch, dtype)
    tx = torch.tensor(xs, dtype=tparams[0][0].dtype, requires_grad=True)
    forward(torch, tparams, tx, torch.utils.checkpoint.checkpoint, use_reentrant=use_reentrant).backward()
    for e, t in zip(grads[1], [tx.grad] + [g.grad for p in tparams for g in p]):
        assert_close(e, t, rtol=1e-4 if dtype == ember.float32 else 1e-10, atol=1e-5 if dtype == ember.float32 else 1e-12)


def test_works_with_autograd_grad_and_create_graph():
    params = mlp_params(ember, ember.float64)
    x = ember.tensor(np.ones((2, 16)), dtype=ember.float64, requires_grad=True)
    ref = ember.autograd.grad(forward(ember, params, x, None), [x, params[0][0]], create_graph=True)
    got = ember.autograd.grad(forward(ember, params, x, checkpoint), [x, params[0][0]], create_graph=True)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    assert got[0].requires_grad
    (r,), (g,) = [ember.autograd.grad((t * t).sum(), params[1][0]) for t in (ref[0], got[0])]
    np.testing.assert_allclose(r.numpy(), g.numpy(), rtol=1e-10)


def dropout_block(w):
    def run(h):
        h = h.matmul(w)
        keep = (ember.rand(h.shape) > 0.5).float()
        return (h * keep * 2).relu()
    return run


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_rng_state_preserved_so_dropout_replays(use_reentrant):
    w = ember.tensor(np.random.default_rng(6).normal(size=(16, 16)), requires_grad=True)
    # (reentrant checkpoint, as PyTorch's, records nothing unless an input requires grad)
    x = ember.tensor(np.random.default_rng(7).normal(size=(4, 16)), requires_grad=use_reentrant)
    ember.manual_seed(3)
    dropout_block(w)(x).sum().backward()
    ref, after_ref = w.grad.numpy().copy(), ember.rand(3).tolist()
    w.grad = None
    ember.manual_seed(3)
    checkpoint(dropout_block(w), x, use_reentrant=use_reentrant).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), ref)
    assert ember.rand(3).tolist() == after_ref  # the replay left the generator where it was


def test_without_preserving_rng_state_the_mask_changes():
    w = ember.tensor(np.random.default_rng(6).normal(size=(16, 16)), requires_grad=True)
    x = ember.tensor(np.random.default_rng(7).normal(size=(4, 16)))
    ember.manual_seed(3)
    dropout_block(w)(x).sum().backward()
    ref = w.grad.numpy().copy()
    w.grad = None
    ember.manual_seed(3)
    checkpoint(dropout_block(w), x, preserve_rng_state=False).sum().backward()
    assert not np.array_equal(w.grad.numpy(), ref)


def test_rng_state_roundtrip():
    ember.manual_seed(11)
    ember.rand(5)
    state = ember._C._get_rng_state()
    assert state == (11, 5)
    a = ember.randn(4).tolist()
    ember._C._set_rng_state(state)
    assert ember.randn(4).tolist() == a


def test_memory_stats_count_live_storage_and_peak():
    ember._C._reset_peak_memory_stats()
    start = ember._C._memory_stats()
    assert start["peak"] == start["current"] >= 0
    a = ember.empty(1024, 256)  # 1 MiB of float32
    mid = ember._C._memory_stats()
    assert mid["current"] - start["current"] == 1024 * 1024
    del a
    end = ember._C._memory_stats()
    assert end["current"] == start["current"] and end["peak"] - start["current"] >= 1024 * 1024


def test_checkpoint_keeps_fewer_activations():
    params = mlp_params(ember, ember.float32, width=128, depth=8)
    x = ember.randn(128, 128)

    def live_after_forward(ck):
        base = ember._C._memory_stats()["current"]
        loss = forward(ember, params, x, ck)
        live = ember._C._memory_stats()["current"] - base
        loss.backward()
        return live
    plain, ck = live_after_forward(None), live_after_forward(checkpoint)
    act = 128 * 128 * 4
    assert plain >= 8 * act and ck < 4 * act + 4096 and 3 * ck < plain, (plain, ck)


def test_tensors_modified_after_checkpoint_are_caught():
    w = ember.ones(3, 3, requires_grad=True)
    x = ember.ones(2, 3) * 1
    y = checkpoint(lambda a: a.matmul(w).sin(), x)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_different_recomputation_is_an_error():
    w = ember.ones(3, requires_grad=True)
    calls = []

    def changes(a):
        calls.append(1)
        return (a * w).sin() if len(calls) == 1 else (a * w).sin().exp()

    y = checkpoint(changes, ember.ones(3))
    with pytest.raises(RuntimeError, match="A different number of tensors was saved"):
        y.sum().backward()


def test_checkpoint_sequential_and_no_grad():
    params = mlp_params(ember, ember.float64)
    layers = [lambda h, w=w, b=b: (h.matmul(w) + b).tanh() for w, b in params]
    x = ember.tensor(np.ones((2, 16)), dtype=ember.float64)
    ref = ember.autograd.grad(block(params)(x).sum(), params[0][0])[0]
    got = ember.autograd.grad(checkpoint_sequential(layers, 2, x).sum(), params[0][0])[0]
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)
    with ember.no_grad():
        assert not checkpoint(block(params), x).requires_grad


def test_retain_graph_backward_twice_recomputes_again():
    params = mlp_params(ember, ember.float64)
    x = ember.tensor(np.ones((2, 16)), dtype=ember.float64)
    loss = forward(ember, params, x, checkpoint)
    loss.backward(retain_graph=True)
    once = params[0][0].grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(params[0][0].grad.numpy(), 2 * once, rtol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
