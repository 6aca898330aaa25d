"""Embedding, one_hot, the vector norms, pad and GroupNorm / RMSNorm / BatchNorm2d on the GPU
against the same calls on the CPU (values and gradients). Marked `gpu`: skips without a GPU."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

pytestmark = pytest.mark.gpu


def run(fn, arrays, device, ints=()):
    """fn over tensors made from arrays on `device` (the ones in `ints` as int64, the others
    float64 and requiring grad); returns the output and the gradients of sum(out * weights)."""
    ins = [ember.tensor(a, dtype=ember.int64).to(device) if i in ints else
           ember.tensor(a, dtype=ember.float64).to(device).requires_grad_(True) for i, a in enumerate(arrays)]
    out = fn(*ins)
    w = ember.tensor(np.random.default_rng(9).normal(size=tuple(out.shape))).to(device)
    (out * w).sum().backward()
    return out.detach().cpu().numpy(), [t.grad.cpu().numpy() for t in ins if t.grad is not None]


def same_on_gpu(fn, arrays, ints=()):
    out_c, grads_c = run(fn, arrays, "cpu", ints)
    out_g, grads_g = run(fn, arrays, "cuda", ints)
    np.testing.assert_allclose(out_g, out_c, rtol=1e-10, atol=1e-12)
    for g, c in zip(grads_g, grads_c):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


rng = np.random.default_rng(0)
X = rng.normal(size=(4, 6, 5))


@pytest.mark.parametrize("kwargs", [{}, dict(padding_idx=2), dict(scale_grad_by_freq=True)])
def test_embedding(kwargs):
    same_on_gpu(lambda w, i: F.embedding(i, w, **kwargs), [rng.normal(size=(7, 3)), [[0, 2, 6], [2, 2, 1]]], ints=(1,))


def test_one_hot():
    i = ember.tensor([[0, 3], [1, 1]])
    np.testing.assert_array_equal(F.one_hot(i.to("cuda"), 5).cpu().numpy(), F.one_hot(i, 5).numpy())


@pytest.mark.parametrize("fn", [lambda a, b: F.normalize(a, dim=1), lambda a, b: F.cosine_similarity(a, b),
                                lambda a, b: F.pairwise_distance(a, b, p=3.0)])
def test_vector_norms(fn):
    a = X.copy()
    a[0, :, 1] = 0
    same_on_gpu(fn, [a, X[::-1].copy()])


@pytest.mark.parametrize("pad,mode", [((1, 2, -1, 1), "constant"), ((2, 1), "reflect"), ((1, 3, 2, 0), "replicate"),
                                      ((2, 2, 1, 1), "circular")])
def test_pad(pad, mode):
    same_on_gpu(lambda a: F.pad(a, pad, mode), [X])


@pytest.mark.parametrize("make", [lambda: nn.GroupNorm(3, 6), lambda: nn.RMSNorm(5), lambda: nn.BatchNorm2d(6)])
def test_norm_modules(make):
    x = X.reshape(4, 6, 5, 1) if isinstance(make(), nn.BatchNorm2d) else X
    same_on_gpu(lambda a: make().double().to(a.device)(a), [x])
