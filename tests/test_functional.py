"""ember.autograd.functional against torch.autograd.functional (values and return conventions)."""
import pytest
from conftest import assert_close, to_torch, torch

import ember
from ember.autograd import functional as AF

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")  # inside torch
TF = torch.autograd.functional
DTYPES = [ember.float32, ember.float64]
LOOSE = {ember.float32: dict(rtol=1e-4, atol=1e-5), ember.float64: dict(rtol=1e-9, atol=1e-11)}


def _randn(*shapes, dtype=ember.float64, seed=0):
    ember.manual_seed(seed)
    out = tuple(ember.randn(*s, dtype=dtype) for s in shapes)
    return out if len(out) > 1 else out[0]


def _t(x):
    return tuple(to_torch(e) for e in x) if isinstance(x, tuple) else to_torch(x)


def _assert_same_structure(ours, theirs, dtype):
    """Equal values, and the same nesting of tuples (a Tensor where torch gives a Tensor)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{type(ours)} vs tuple of {len(theirs)}"
        for o, t in zip(ours, theirs):
            _assert_same_structure(o, t, dtype)
    else:
        assert isinstance(ours, ember.Tensor), f"expected a Tensor, got {type(ours)}"
        assert_close(ours, theirs, **LOOSE[dtype])


def single(lib, x):
    return (x * x).tanh().sum(1)


def scalar(lib, x):
    return (x.exp() * x.sin()).sum() + (x ** 3).mean()


def pair_to_pair(lib, x, y):
    return (x @ y).tanh(), (x * x).sum()


def pair_to_scalar(lib, x, y):
    return ((x @ y).sigmoid() ** 2).sum() + (x ** 3).sum()


def _fn(f, lib):
    return lambda *a: f(lib, *a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp(dtype):
    x = _randn((3, 4), dtype=dtype)
    v = _randn((3,), dtype=dtype, seed=1)
    _assert_same_structure(AF.vjp(_fn(single, ember), x, v), TF.vjp(_fn(single, torch), _t(x), _t(v)), dtype)
    xy = _randn((2, 3), (3, 2), dtype=dtype, seed=2)
    vs = _randn((2, 2), (), dtype=dtype, seed=3)
    _assert_same_structure(AF.vjp(_fn(pair_to_pair, ember), xy, vs),
                           TF.vjp(_fn(pair_to_pair, torch), _t(xy), _t(vs)), dtype)
    # v may be omitted for a single-element output
    _assert_same_structure(AF.vjp(_fn(scalar, ember), x), TF.vjp(_fn(scalar, torch), _t(x)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jvp(dtype):
    x, v = _randn((3, 4), (3, 4), dtype=dtype)
    _assert_same_structure(AF.jvp(_fn(single, ember), x, v), TF.jvp(_fn(single, torch), _t(x), _t(v)), dtype)
    xy = _randn((2, 3), (3, 2), dtype=dtype, seed=2)
    vs = _randn((2, 3), (3, 2), dtype=dtype, seed=3)
    _assert_same_structure(AF.jvp(_fn(pair_to_pair, ember), xy, vs),
                           TF.jvp(_fn(pair_to_pair, torch), _t(xy), _t(vs)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian(dtype, strategy):
    # torch's forward-mode returns lists where its reverse-mode (and its docs) give tuples, so both
    # of ember's strategies are held to torch's reverse-mode result.
    x = _randn((3, 4), dtype=dtype)
    kw = {}
    _assert_same_structure(AF.jacobian(_fn(single, ember), x, strategy=strategy),
                           TF.jacobian(_fn(single, torch), _t(x), **kw), dtype)
    xy = _randn((2, 3), (3, 2), dtype=dtype, seed=2)
    _assert_same_structure(AF.jacobian(_fn(pair_to_pair, ember), xy, strategy=strategy),
                           TF.jacobian(_fn(pair_to_pair, torch), _t(xy), **kw), dtype)
    # one tuple input, single output: a 1-tuple, as torch
    _assert_same_structure(AF.jacobian(_fn(single, ember), (x,)), TF.jacobian(_fn(single, torch), (_t(x),)), dtype)


def test_jacobian_rows_are_the_reverse_mode_gradients():
    x = _randn((3, 4))
    jac = AF.jacobian(lambda a: (a.softmax(1) * a).sum(1), x)
    for i in range(3):
        xr = x.detach().requires_grad_(True)
        (g,) = ember.autograd.grad((xr.softmax(1) * xr).sum(1)[i], xr)
        assert_close(jac[i], to_torch(g))
    # and J·v from jvp equals the explicit Jacobian times v
    v = _randn((3, 4), seed=5)
    _, jv = AF.jvp(lambda a: (a.softmax(1) * a).sum(1), x, v)
    assert_close(jv, (to_torch(jac) * to_torch(v)).sum((1, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian(dtype):
    x = _randn((2, 3), dtype=dtype)
    _assert_same_structure(AF.hessian(_fn(scalar, ember), x), TF.hessian(_fn(scalar, torch), _t(x)), dtype)
    xy = _randn((2, 3), (3, 2), dtype=dtype, seed=2)
    _assert_same_structure(AF.hessian(_fn(pair_to_scalar, ember), xy),
                           TF.hessian(_fn(pair_to_scalar, torch), _t(xy)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["hvp", "vhp"])
def test_hvp_and_vhp(dtype, which):
    x, v = _randn((2, 3), (2, 3), dtype=dtype)
    ours, theirs = getattr(AF, which), getattr(TF, which)
    _assert_same_structure(ours(_fn(scalar, ember), x, v), theirs(_fn(scalar, torch), _t(x), _t(v)), dtype)
    xy = _randn((2, 3), (3, 2), dtype=dtype, seed=2)
    vs = _randn((2, 3), (3, 2), dtype=dtype, seed=3)
    _assert_same_structure(ours(_fn(pair_to_scalar, ember), xy, vs),
                           theirs(_fn(pair_to_scalar, torch), _t(xy), _t(vs)), dtype)


def test_hvp_equals_hessian_times_v():
    x, v = _randn((2, 3), (2, 3), seed=7)
    h = AF.hessian(lambda a: scalar(ember, a), x)
    _, hv = AF.hvp(lambda a: scalar(ember, a), x, v)
    assert_close(hv, (to_torch(h) * to_torch(v)).sum((2, 3)))


def test_create_graph_makes_results_differentiable():
    x = _randn((3,)).requires_grad_(True)
    tx = to_torch(x)
    _, g = AF.vjp(lambda a: (a ** 3).sum(), x, create_graph=True)
    _, tg = TF.vjp(lambda a: (a ** 3).sum(), tx, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    assert_close(gg, tgg)
    h = AF.hessian(lambda a: (a ** 3).sum(), x, create_graph=True)
    assert h.requires_grad
    _, gnc = AF.vjp(lambda a: (a ** 3).sum(), x)
    assert not gnc.requires_grad


def test_independent_input_gives_zeros_or_raises_in_strict_mode():
    x, y = _randn((3,), (2,))
    out, (gx, gy) = AF.vjp(lambda a, b: (a * 2.0).sum(), (x, y))
    assert gy.tolist() == [0.0, 0.0]
    jac = AF.jacobian(lambda a, b: a * 2.0, (x, y))
    assert tuple(jac[1].shape) == (3, 2) and jac[1].abs().sum().item() == 0.0
    with pytest.raises(RuntimeError, match="independent of input 1. This is not allowed in strict mode"):
        AF.vjp(lambda a, b: (a * 2.0).sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        AF.jacobian(lambda a, b: a * 2.0, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        AF.vjp(lambda a: ember.ones(3), x, ember.ones(3), strict=True)


def test_errors_like_pytorch():
    x = _randn((3,))
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a tuple of Tensors"):
        AF.vjp(lambda a: a, [x, 3.0])
    with pytest.raises(RuntimeError, match="v can only be None if the user-provided function returns a single Tensor "
                                           "with a single element"):
        AF.vjp(lambda a: a * 2.0, x)
    with pytest.raises(RuntimeError, match="v can only be None if the input to the user-provided function"):
        AF.jvp(lambda a: a * 2.0, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \[3\] but got \[4\]"):
        AF.jvp(lambda a: a * 2.0, x, ember.ones(4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        AF.jvp(lambda a, b: a * b, (x, x), (x,))
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        AF.hessian(lambda a: (a.sum(), a.sum()), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        AF.hessian(lambda a: a * 2.0, x)
    with pytest.raises(ValueError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        AF.jacobian(lambda a: a, x, strategy="sideways")
