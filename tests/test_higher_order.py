"""Higher-order derivatives (create_graph=True) against PyTorch, and gradgradcheck."""
import numpy as np
import pytest
from conftest import assert_close, to_torch, torch

import ember
import ember.nn.functional as F
from ember.autograd import GradcheckError, gradgradcheck

DTYPES = [ember.float32, ember.float64]
LOOSE = {ember.float32: dict(rtol=1e-4, atol=1e-5), ember.float64: dict(rtol=1e-9, atol=1e-11)}

UNARY = {
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "cube": (lambda x: x ** 3, lambda x: x ** 3),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "exp": (lambda x: x.exp(), lambda x: x.exp()),
}


def _nth_derivatives(fn, x, n, grad):
    """[f', f'', ..., f^(n)] elementwise, each by grad of the sum of the previous (create_graph=True)."""
    out, y = [], fn(x)
    for _ in range(n):
        (y,) = grad(y.sum(), x, create_graph=True)
        out.append(y)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_second_and_third_derivatives_match_torch(name, dtype):
    ember.manual_seed(0)
    e_fn, t_fn = UNARY[name]
    x = ember.randn(7, dtype=dtype, requires_grad=True)
    tx = to_torch(x)
    ours = _nth_derivatives(e_fn, x, 3, ember.autograd.grad)
    theirs = _nth_derivatives(t_fn, tx, 3, torch.autograd.grad)
    for e, t in zip(ours, theirs):
        assert_close(e, t, **LOOSE[dtype])


def test_third_derivative_of_cube_is_six_by_hand():
    x = ember.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    d1, d2, d3 = _nth_derivatives(lambda v: v ** 3, x, 3, ember.autograd.grad)
    np.testing.assert_allclose(d1.detach().numpy(), [12.0, 0.75, 27.0])
    np.testing.assert_allclose(d2.detach().numpy(), [-12.0, 3.0, 18.0])
    np.testing.assert_allclose(d3.detach().numpy(), [6.0, 6.0, 6.0])


def _mlp_params(dtype):
    ember.manual_seed(1)
    ps = [ember.randn(5, 8, dtype=dtype) * 0.5, ember.randn(8, dtype=dtype) * 0.1,
          ember.randn(8, 3, dtype=dtype) * 0.5, ember.randn(3, dtype=dtype) * 0.1]
    return [p.detach().requires_grad_(True) for p in ps]


def _mlp_loss(lib, params, x, y, activation):
    w1, b1, w2, b2 = params
    h = getattr(x @ w1 + b1, activation)()
    return lib.nn.functional.cross_entropy(h @ w2 + b2, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_hessian_vector_product_through_mlp(dtype, activation):
    params = _mlp_params(dtype)
    x = ember.randn(6, 5, dtype=dtype)
    y = ember.tensor([0, 2, 1, 1, 0, 2])
    vs = [ember.randn(*p.shape, dtype=dtype) for p in params]
    tparams = [to_torch(p) for p in params]

    loss = _mlp_loss(ember, params, x, y, activation)
    grads = ember.autograd.grad(loss, params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vs))
    hv = ember.autograd.grad(dot, params)

    tloss = _mlp_loss(torch, tparams, to_torch(x), to_torch(y), activation)
    tgrads = torch.autograd.grad(tloss, tparams, create_graph=True)
    tdot = sum((g * to_torch(v)).sum() for g, v in zip(tgrads, vs))
    thv = torch.autograd.grad(tdot, tparams)
    assert_close(loss, tloss, **LOOSE[dtype])
    for e, t in zip(hv, thv):
        assert_close(e, t, **LOOSE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_penalty_reaches_weights(dtype):
    """WGAN-GP style: penalty = (||d critic / d x||_2 - 1)^2, backpropagated to the critic's weights."""
    ember.manual_seed(2)
    w1 = ember.randn(4, 6, dtype=dtype).requires_grad_(True)
    w2 = ember.randn(6, 1, dtype=dtype).requires_grad_(True)
    x = ember.randn(5, 4, dtype=dtype).requires_grad_(True)
    tw1, tw2, tx = to_torch(w1), to_torch(w2), to_torch(x)

    def penalty(lib, w1, w2, x):
        critic = ((x @ w1).tanh() @ w2).sum()
        (gx,) = lib.autograd.grad(critic, x, create_graph=True)
        norms = ((gx * gx).sum(1) + 1e-12).sqrt()
        return ((norms - 1.0) ** 2).mean()

    gp = penalty(ember, w1, w2, x)
    gp.backward()
    tgp = penalty(torch, tw1, tw2, tx)
    tgp.backward()
    assert_close(gp, tgp, **LOOSE[dtype])
    for e, t in [(w1, tw1), (w2, tw2), (x, tx)]:
        assert e.grad is not None
        assert_close(e.grad, t.grad, **LOOSE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_double_backward_of_softmax_cross_entropy(dtype, reduction):
    ember.manual_seed(3)
    logits = ember.randn(4, 5, dtype=dtype, requires_grad=True)
    target = ember.tensor([1, 0, 4, 2])
    v = ember.randn(4, 5, dtype=dtype)
    tl = to_torch(logits)

    (g,) = ember.autograd.grad(F.cross_entropy(logits, target, reduction=reduction), logits, create_graph=True)
    (hv,) = ember.autograd.grad((g * v).sum(), logits)
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tl, to_torch(target), reduction=reduction), tl,
                                create_graph=True)
    (thv,) = torch.autograd.grad((tg * to_torch(v)).sum(), tl)
    assert_close(g, tg, **LOOSE[dtype])
    assert_close(hv, thv, **LOOSE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_second_derivatives_of_a_matmul_chain(dtype):
    ember.manual_seed(4)
    a = ember.randn(3, 4, dtype=dtype, requires_grad=True)
    b = ember.randn(4, 5, dtype=dtype, requires_grad=True)
    c = ember.randn(5, 2, dtype=dtype, requires_grad=True)
    ta, tb, tc = to_torch(a), to_torch(b), to_torch(c)

    def second(lib, a, b, c):
        out = ((a @ b).tanh() @ c).pow(2).sum()
        ga, gb = lib.autograd.grad(out, (a, b), create_graph=True)
        return lib.autograd.grad((ga * ga).sum() + (gb ** 3).sum(), (a, b, c))

    for e, t in zip(second(ember, a, b, c), second(torch, ta, tb, tc)):
        assert_close(e, t, **LOOSE[dtype])


# ---- gradgradcheck --------------------------------------------------------------------------------

def _x64(*shape, seed=5):
    ember.manual_seed(seed)
    return ember.randn(*shape, dtype=ember.float64).requires_grad_(True)


@pytest.mark.parametrize("fn", [lambda x: x.tanh(), lambda x: x ** 3, lambda x: x.softmax(-1),
                                lambda x: x.sigmoid() * x.exp()],
                         ids=["tanh", "cube", "softmax", "sigmoid_times_exp"])
def test_gradgradcheck_passes_on_elementwise_and_softmax(fn):
    assert gradgradcheck(fn, (_x64(3, 4),))


def test_gradgradcheck_cross_entropy_and_matmul_chain():
    target = ember.tensor([2, 0, 1])
    assert gradgradcheck(lambda z: F.cross_entropy(z, target), (_x64(3, 4),))
    a, b, c = _x64(2, 3, seed=6), _x64(3, 4, seed=7), _x64(4, 2, seed=8)
    assert gradgradcheck(lambda a, b, c: (a @ b).tanh() @ c, (a, b, c))


def test_gradgradcheck_with_explicit_grad_outputs_and_several_outputs():
    x, y = _x64(3), _x64(3, seed=9)
    g1, g2 = _x64(3, seed=10), _x64(3, seed=11)
    assert gradgradcheck(lambda x, y: (x * y.exp(), (x * y).tanh()), (x, y), (g1, g2))


def _cube_with_detached_backward(x):
    # Value x^3 and first derivative 3x^2 (x.detach() carries it), but the first derivative is
    # built from detached tensors, so its own derivative (should be 6x) comes out as 0.
    xd = x.detach()
    return xd ** 3 + (x - xd) * (3 * xd ** 2)


def test_gradgradcheck_fails_on_a_wrong_second_derivative():
    x = ember.tensor([0.5, -1.5, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(_cube_with_detached_backward, (x,))  # first derivatives are right
    with pytest.raises(GradcheckError, match=r"gradgradcheck.*input 0.*numerical=.*analytical=0\b"):
        gradgradcheck(_cube_with_detached_backward, (x,))
    assert gradgradcheck(_cube_with_detached_backward, (x,), raise_exception=False) is False


def test_gradgradcheck_fails_when_first_derivative_is_wrong_too():
    x = _x64(4)
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        gradgradcheck(lambda v: v * v.detach(), (x,))


def test_gradgradcheck_rejects_float32():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(GradcheckError, match="gradgradcheck: input 0 requires grad but is .*float32"):
        gradgradcheck(lambda v: v.tanh(), (x,))
