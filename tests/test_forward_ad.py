"""ember.autograd.forward_ad (tangents by double vjp) against torch.func.jvp and torch's forward AD."""
import pytest
from conftest import assert_close, to_torch, torch

import ember
import ember.autograd.forward_ad as fwAD

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")  # inside torch.func
DTYPES = [ember.float32, ember.float64]
LOOSE = {ember.float32: dict(rtol=1e-4, atol=1e-5), ember.float64: dict(rtol=1e-9, atol=1e-11)}
TARGET = [2, 0, 1, 3]

# name -> (fn(lib, *inputs), input shapes): each fn is written once and run with lib = ember and torch.
CASES = {
    "tanh_mul": (lambda lib, a: (a * a).tanh() + a.exp() * 0.5, [(4, 3)]),
    "sigmoid_div_sqrt": (lambda lib, a, b: a.sigmoid() / (b * b + 1.0).sqrt(), [(4, 3), (4, 3)]),
    "broadcast_sub_pow": (lambda lib, a, b: (a - b) ** 3, [(4, 3), (3,)]),
    "matmul": (lambda lib, a, b: a @ b, [(4, 3), (3, 5)]),
    "matmul_relu_chain": (lambda lib, a, b: (a @ b).relu() @ b.t(), [(4, 3), (3, 5)]),
    "sum_mean_dim": (lambda lib, a: a.sum(1) * a.mean(0).sum(), [(4, 3)]),
    "amax_var": (lambda lib, a: a.amax(1) + a.var(0).sum(), [(4, 3)]),
    "softmax": (lambda lib, a: a.softmax(-1), [(4, 3)]),
    "log_softmax": (lambda lib, a: a.log_softmax(0), [(4, 3)]),
    "cross_entropy": (lambda lib, a: lib.nn.functional.cross_entropy(a, lib.tensor(TARGET)), [(4, 5)]),
    "mse_loss": (lambda lib, a, b: lib.nn.functional.mse_loss(a, b), [(4, 3), (4, 3)]),
}


def _inputs(shapes, dtype, seed):
    ember.manual_seed(seed)
    return [ember.randn(*s, dtype=dtype) for s in shapes]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_tangent_matches_torch_func_jvp(name, dtype):
    fn, shapes = CASES[name]
    xs, vs = _inputs(shapes, dtype, 0), _inputs(shapes, dtype, 1)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, v) for x, v in zip(xs, vs)]
        out = fn(ember, *duals)
        primal, tangent = fwAD.unpack_dual(out)
    t_out, t_tangent = torch.func.jvp(lambda *a: fn(torch, *a), tuple(to_torch(x) for x in xs),
                                      tuple(to_torch(v) for v in vs))
    assert_close(primal, t_out, **LOOSE[dtype])
    assert_close(tangent, t_tangent, **LOOSE[dtype])


@pytest.mark.parametrize("name", ["matmul", "softmax", "mse_loss"])
def test_tangent_matches_torch_forward_ad(name):
    fn, shapes = CASES[name]
    xs, vs = _inputs(shapes, ember.float64, 2), _inputs(shapes, ember.float64, 3)
    with fwAD.dual_level():
        out = fn(ember, *[fwAD.make_dual(x, v) for x, v in zip(xs, vs)])
        tangent = fwAD.unpack_dual(out).tangent
    import torch.autograd.forward_ad as tfwAD
    with tfwAD.dual_level():
        t_out = fn(torch, *[tfwAD.make_dual(to_torch(x), to_torch(v)) for x, v in zip(xs, vs)])
        t_tangent = tfwAD.unpack_dual(t_out).tangent
    assert_close(tangent, t_tangent, **LOOSE[ember.float64])


def test_tangent_of_a_linear_map_by_hand():
    x = ember.tensor([1.0, 2.0, 3.0])
    v = ember.tensor([1.0, 0.0, -1.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        assert fwAD.unpack_dual(d).tangent.tolist() == [1.0, 0.0, -1.0]
        assert fwAD.unpack_dual(3.0 * d + 1.0).tangent.tolist() == [3.0, 0.0, -3.0]
        assert fwAD.unpack_dual(d * d).tangent.tolist() == [2.0, 0.0, -6.0]  # 2 x v
        assert fwAD.unpack_dual(d.sum()).tangent.item() == 0.0


def test_only_one_of_two_inputs_dual():
    a, b = _inputs([(3, 4), (4, 2)], ember.float64, 4)
    v = _inputs([(3, 4)], ember.float64, 5)[0]
    with fwAD.dual_level():
        out = fwAD.make_dual(a, v) @ b
        tangent = fwAD.unpack_dual(out).tangent
    assert_close(tangent, to_torch(v) @ to_torch(b))


def test_unpack_dual_returns_a_namedtuple_and_keeps_the_primal():
    x, v = _inputs([(3,), (3,)], ember.float32, 6)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        res = fwAD.unpack_dual(d)
        assert isinstance(res, fwAD.UnpackedDualTensor) and isinstance(res, tuple)
        assert res.primal.tolist() == x.tolist()
        assert res.tangent.tolist() == v.tolist()
        p, t = res
        assert t.tolist() == v.tolist()


def test_independent_tensors_have_no_tangent():
    x, v, w = _inputs([(3,), (3,), (3,)], ember.float32, 7)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        assert fwAD.unpack_dual(w * 2.0).tangent is None
        assert fwAD.unpack_dual(w.detach().requires_grad_(True) * 2.0).tangent is None
        assert fwAD.unpack_dual(d.detach()).tangent is None
        assert fwAD.unpack_dual(d.argmax()).tangent is None
    assert fwAD.unpack_dual(x).tangent is None  # outside any level


def test_leaving_the_level_clears_tangents():
    x, v = _inputs([(3,), (3,)], ember.float32, 8)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        y = d.tanh()
        assert fwAD.unpack_dual(y).tangent is not None
    assert fwAD.unpack_dual(d).tangent is None
    assert fwAD.unpack_dual(y).tangent is None
    with fwAD.dual_level():  # a fresh level knows nothing of the old duals
        assert fwAD.unpack_dual(y).tangent is None


def test_reverse_mode_still_reaches_a_primal_that_requires_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, ember.ones(2))
        y = (d * d).sum()
        assert fwAD.unpack_dual(y).tangent.item() == pytest.approx(6.0)  # 2 x . v
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_unpack_twice_gives_the_same_tangent():
    x, v = _inputs([(4,), (4,)], ember.float64, 9)
    with fwAD.dual_level():
        y = fwAD.make_dual(x, v).sin()
        t1 = fwAD.unpack_dual(y).tangent
        t2 = fwAD.unpack_dual(y).tangent
    assert t1.tolist() == t2.tolist()


def test_errors_like_pytorch():
    x = ember.randn(3)
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, ember.randn(3))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward gradient is of "
                                               r"size \[4\]"):
            fwAD.make_dual(x, ember.randn(4))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(ember.arange(3), ember.arange(3))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            with fwAD.dual_level():
                pass
    # the failed nested entry did not leave a level behind
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, ember.randn(3))


def test_enter_and_exit_functions():
    level = fwAD.enter_dual_level()
    try:
        assert level == 0
        d = fwAD.make_dual(ember.ones(2), ember.ones(2), level=level)
        assert fwAD.unpack_dual(d * 3.0, level=level).tangent.tolist() == [3.0, 3.0]
    finally:
        fwAD.exit_dual_level(level=level)
    with pytest.raises(RuntimeError, match="exit a forward AD level"):
        fwAD.exit_dual_level()


def test_tangent_dtype_follows_the_primal():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.ones(2, dtype=ember.float64), ember.ones(2))
        assert fwAD.unpack_dual(d * 2.0).tangent.dtype == ember.float64
