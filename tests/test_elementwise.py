"""Elementwise binary and unary ops, where and clamp: values and gradients against PyTorch
(float32 and float64), broadcasting, type promotion, Python scalars, and gradcheck in float64."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch

torch = pytest.importorskip("torch")

FLOATS = [ember.float32, ember.float64]
TORCH = {ember.float32: torch.float32, ember.float64: torch.float64}


def randn(*shape, dtype=ember.float64, requires_grad=False, positive=False, seed=0):
    rng = np.random.default_rng(seed + sum(shape) * 7 + len(shape))
    arr = rng.standard_normal(shape)
    if positive:
        arr = np.abs(arr) + 0.5
    t = ember.tensor(arr, dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def check_grads(e_inputs, t_inputs, dtype):
    for e, t in zip(e_inputs, t_inputs):
        if t.grad is None:
            assert e.grad is None
        else:
            assert_close(e.grad, t.grad, dtype=dtype)


# ---------------------------------------------------------------- binary ops
# Values, gradients, gradcheck, broadcasting, non-contiguous operands and dtypes of every table
# op are in tests/test_ops.py (over tests/op_db.py); here are the cases that need a hand-made input.

@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons(op):
    a = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = ember.tensor([3.0, 2.0, 7.0])
    out = getattr(a, op)(b)
    assert out.dtype == ember.bool and not out.requires_grad
    assert_close(out, getattr(to_torch(a), op)(to_torch(b)))
    assert_close(getattr(a, op)(2.0), getattr(to_torch(a), op)(2.0))
    # comparisons of tensors requiring grad record nothing
    ar = a.clone().requires_grad_(True)
    assert getattr(ar, op)(b).grad_fn is None


def test_maximum_minimum_ties_split_gradient():
    a = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ember.tensor([1.0, 3.0, 2.0], requires_grad=True)
    ta, tb = to_torch(a), to_torch(b)
    ember.maximum(a, b).sum().backward()
    torch.maximum(ta, tb).sum().backward()
    check_grads([a, b], [ta, tb], ember.float32)


def test_maximum_propagates_nan():
    a = ember.tensor([float("nan"), 1.0])
    b = ember.tensor([0.0, float("nan")])
    assert np.isnan(ember.maximum(a, b).numpy()).all()
    assert np.isnan(ember.minimum(a, b).numpy()).all()


# ---------------------------------------------------------------- type promotion

def _pair(value, dtype):
    return ember.tensor(value, dtype=dtype), torch.tensor(value, dtype=TORCH.get(dtype) or {
        ember.int64: torch.int64, ember.bool: torch.bool}[dtype])


@pytest.mark.parametrize("da,db", [
    (ember.int64, ember.float32), (ember.bool, ember.int64), (ember.bool, ember.float64),
    (ember.float32, ember.float64), (ember.int64, ember.int64), (ember.bool, ember.bool)])
@pytest.mark.parametrize("op", ["__add__", "__mul__", "__truediv__"])
def test_promotion_between_tensors(da, db, op):
    a, ta = _pair([[1, 0, 3]], da)
    b, tb = _pair([2, 1, 1], db)
    assert_close(getattr(a, op)(b), getattr(ta, op)(tb))


def test_int_division_is_true_division():
    a, b = ember.tensor([7, -7, 2]), ember.tensor([2, 2, 4])
    out = a / b
    assert out.dtype == ember.float32
    assert_close(out, torch.tensor([7, -7, 2]) / torch.tensor([2, 2, 4]))


def test_zero_dim_tensor_does_not_promote_same_category():
    x = ember.ones(3)  # float32
    out = x + ember.tensor(2.0, dtype=ember.float64)
    assert out.dtype == ember.float32
    assert_close(out, torch.ones(3) + torch.tensor(2.0, dtype=torch.float64))
    # ... but a 0-d float does promote an int tensor (higher category)
    out = ember.tensor([1, 2]) + ember.tensor(0.5, dtype=ember.float64)
    assert_close(out, torch.tensor([1, 2]) + torch.tensor(0.5, dtype=torch.float64))
    # two 0-d tensors promote normally
    out = ember.tensor(1.0) + ember.tensor(2.0, dtype=ember.float64)
    assert out.dtype == ember.float64


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64, ember.bool])
@pytest.mark.parametrize("op", ["__add__", "__radd__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__"])
def test_promotion_with_python_scalars(scalar, dtype, op):
    x, tx = _pair([1, 2, 3], dtype)
    assert_close(getattr(x, op)(scalar), getattr(tx, op)(scalar))


@pytest.mark.parametrize("dtype", FLOATS)
def test_python_scalars_on_either_side_with_grads(dtype):
    fns = [lambda x: 2 - x, lambda x: x - 2, lambda x: 2 ** x, lambda x: x ** 2, lambda x: 3 / x,
           lambda x: x / 3, lambda x: 1.5 * x, lambda x: x ** 0.5, lambda x: x ** -1]
    for fn in fns:
        x = randn(5, dtype=dtype, requires_grad=True, positive=True, seed=8)
        tx = to_torch(x)
        out, tout = fn(x), fn(tx)
        assert_close(out, tout)
        out.backward(ember.ones(5, dtype=dtype))
        tout.backward(torch.ones(5, dtype=TORCH[dtype]))
        assert_close(x.grad, tx.grad)


def test_float32_tensor_times_python_float_stays_float32():
    out = ember.ones(2) * 1e-3
    assert out.dtype == ember.float32


def test_int_pow():
    a = ember.tensor([2, 3, -1, 1, 2])
    b = ember.tensor([3, 0, -3, -2, -1])
    assert_close(a ** b, torch.tensor([2, 3, -1, 1, 2]) ** torch.tensor([3, 0, -3, -2, -1]))


def test_pow_grad_of_exponent_at_zero_base():
    # d(a^b)/db = a^b ln a, taken as 0 where a == 0 (PyTorch's convention)
    a = ember.tensor([0.0, 2.0], requires_grad=True)
    b = ember.tensor([2.0, 3.0], requires_grad=True)
    ta, tb = to_torch(a), to_torch(b)
    (a ** b).backward(ember.ones(2))
    (ta ** tb).backward(torch.ones(2))
    check_grads([a, b], [ta, tb], ember.float32)


# ---------------------------------------------------------------- where, clamp

@pytest.mark.parametrize("dtype", FLOATS)
def test_where_values_and_grads(dtype):
    cond = ember.tensor([[True, False, True]])
    a = randn(2, 3, dtype=dtype, requires_grad=True, seed=9)
    b = randn(3, dtype=dtype, requires_grad=True, seed=10)
    ta, tb = to_torch(a), to_torch(b)
    out, tout = ember.where(cond, a, b), torch.where(to_torch(cond), ta, tb)
    assert_close(out, tout)
    out.backward(ember.ones(2, 3, dtype=dtype))
    tout.backward(torch.ones(2, 3, dtype=TORCH[dtype]))
    check_grads([a, b], [ta, tb], dtype)
    assert ember.autograd.gradcheck(lambda a, b: ember.where(cond, a, b),
                                    (randn(2, 3, requires_grad=True), randn(3, requires_grad=True)))


def test_where_with_scalars():
    cond = ember.tensor([True, False])
    x = ember.tensor([1.0, 2.0])
    assert_close(ember.where(cond, x, 0.0), torch.where(torch.tensor([True, False]), torch.tensor([1.0, 2.0]), 0.0))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.0), (0.0, None)])
def test_clamp_values_and_grads(dtype, lo, hi):
    x = ember.tensor([-1.0, -0.5, -0.2, 0.0, 0.3, 0.5, 2.0], dtype=dtype, requires_grad=True)
    tx = to_torch(x)
    out, tout = x.clamp(lo, hi), tx.clamp(lo, hi)
    assert_close(out, tout)
    out.backward(ember.ones(7, dtype=dtype))
    tout.backward(torch.ones(7, dtype=TORCH[dtype]))
    assert_close(x.grad, tx.grad)  # gradient is 1 AT the bounds (inclusive), as in PyTorch


def test_clamp_gradcheck():
    x = randn(6, requires_grad=True, seed=11)
    assert ember.autograd.gradcheck(lambda x: ember.clamp(x, -0.4, 0.4), (x,))


@pytest.mark.parametrize("lo,hi", [(1.5, None), (None, 2.5), (1, 2), (0, 2.0), (True, None)])
def test_clamp_of_ints_promotes_like_torch(lo, hi):
    a = [1, 2, 3, -4]
    out, tout = ember.clamp(ember.tensor(a), lo, hi), torch.clamp(torch.tensor(a), lo, hi)
    assert_close(out, tout)  # dtype included: a float bound gives float32


def test_clip_is_clamp():
    x = [-2.0, 0.1, 3.0]
    assert_close(ember.clip(ember.tensor(x), -1, 1), torch.clip(torch.tensor(x), -1, 1))
    assert_close(ember.tensor(x).clip_(max=0.0), torch.tensor(x).clip_(max=0.0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_with_tensor_bounds_values_and_grads(dtype):
    x = randn(3, 4, dtype=dtype, requires_grad=True, seed=21)
    lo = (randn(4, dtype=dtype, seed=22) - 0.5).requires_grad_()
    hi = (randn(3, 1, dtype=dtype, seed=23).abs() + 0.2).requires_grad_()
    tx, tlo, thi = to_torch(x), to_torch(lo), to_torch(hi)
    out, tout = x.clamp(lo, hi), tx.clamp(tlo, thi)
    assert_close(out, tout)
    out.backward(ember.ones(3, 4, dtype=dtype))
    tout.backward(torch.ones(3, 4, dtype=TORCH[dtype]))
    check_grads([x, lo, hi], [tx, tlo, thi], dtype)
    if dtype == ember.float64:
        assert ember.autograd.gradcheck(lambda x, lo: ember.clamp(x, min=lo),
                                        (x.detach().requires_grad_(), lo.detach().requires_grad_()))


def test_clamp_with_one_tensor_bound_and_in_place():
    x = [1.0, 5.0, -3.0]
    assert_close(ember.tensor(x).clamp(max=ember.tensor(2.0)), torch.tensor(x).clamp(max=torch.tensor(2.0)))
    assert_close(ember.tensor(x).clamp_(min=ember.tensor([0.0, 6.0, 0.0])),
                 torch.tensor(x).clamp_(min=torch.tensor([0.0, 6.0, 0.0])))
    assert_close(ember.tensor([1, 2, 3]).clamp(min=ember.tensor(1.5)),
                 torch.tensor([1, 2, 3]).clamp(min=torch.tensor(1.5)))


@pytest.mark.parametrize("call,match", [
    (lambda: ember.tensor([1, 2]).clamp_(min=1.5), r"\[clamp_\] result type .*float32 can't be cast .*int64"),
    (lambda: ember.tensor([1, 2]).clamp_(min=ember.tensor(0.5)), r"\[clamp_\] result type"),
])
def test_clamp_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()
    # a bool tensor with a bool bound has no dtype to clamp in (with an int bound it is int64: op_db)
    with pytest.raises(NotImplementedError, match=r"\[clamp\] not implemented for 'Bool'"):
        ember.tensor([True]).clamp(min=True)
    with pytest.raises(TypeError, match=r"\[clamp\] expected min and max"):
        ember.tensor([1.0]).clamp(min=[0.0])


# ---------------------------------------------------------------- unary (table ops: tests/test_ops.py)

def test_relu_derivative_at_zero_is_zero():
    x = ember.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    x.relu().backward(ember.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_abs_derivative_at_zero_is_zero():
    x = ember.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().backward(ember.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])


def test_sigmoid_extremes_are_finite():
    x = ember.tensor([-1000.0, 0.0, 1000.0])
    assert_close(x.sigmoid(), torch.tensor([-1000.0, 0.0, 1000.0]).sigmoid())


def test_unary_on_empty_tensor():
    x = ember.zeros(0, 3)
    assert x.exp().shape == (0, 3)
    assert (x + ember.zeros(3)).shape == (0, 3)


def test_pow_zero_exponent_gradient_is_zero_at_zero_base():
    # d(x^0)/dx = 0 everywhere, also at x = 0 where the formula b x^(b-1) would give 0 * inf
    for make_exp in (lambda lib: 0, lambda lib: 0.0, lambda lib: lib.zeros(2, dtype=lib.float64)):
        x = ember.tensor([0.0, 1.5], dtype=ember.float64, requires_grad=True)
        tx = to_torch(x)
        (x ** make_exp(ember)).sum().backward()
        (tx ** make_exp(torch)).sum().backward()
        assert_close(x.grad, tx.grad)


def test_int_tensor_to_negative_int_power():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        ember.tensor([2]) ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        torch.tensor([2]) ** -1
    assert_close(ember.tensor([2]) ** -1.0, torch.tensor([2]) ** -1.0)


# The table ops' second derivatives are in tests/test_ops.py; here a where with a curved branch.
SECOND_ORDER = {
    "where": lambda x, w: ember.where(x > 0.2, x * x, w * x) if isinstance(x, ember.Tensor)
    else torch.where(x > 0.2, x * x, w * x),
    "clamp_times_w": lambda x, w: x.clamp(-0.5, 0.5) * w,
    "rpow": lambda x, w: 2.0 ** (x * w),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_vs_torch(name):
    # create_graph=True: the backward formulas are themselves differentiable and agree with torch
    fn = SECOND_ORDER[name]
    x = randn(5, requires_grad=True, seed=16)
    w = randn(5, requires_grad=True, positive=True, seed=17)
    tx, tw = to_torch(x), to_torch(w)
    (gx, gw) = ember.autograd.grad(fn(x, w).sum(), (x, w), create_graph=True, allow_unused=True)
    (tgx, tgw) = torch.autograd.grad(fn(tx, tw).sum(), (tx, tw), create_graph=True, allow_unused=True)
    assert_close(gx, tgx)
    assert gx.requires_grad == tgx.requires_grad   # a constant first derivative has no graph
    if not gx.requires_grad:
        return
    # differentiate d/dx again, projected on a fixed vector
    v = randn(5, seed=18)
    ggx, ggw = ember.autograd.grad((gx * v).sum(), (x, w), allow_unused=True)
    tggx, tggw = torch.autograd.grad((tgx * to_torch(v)).sum(), (tx, tw), allow_unused=True)
    for e, t in ((ggx, tggx), (ggw, tggw)):
        if t is None or e is None or t._is_zerotensor():  # a structurally zero second derivative
            assert e is None or np.allclose(e.detach().numpy(), 0.0)
            assert t is None or t._is_zerotensor() or not t.abs().sum().item()
        else:
            assert_close(e, t)


def test_large_tensors_take_the_parallel_path_correctly():
    # above the kernels' parallel grain (32768 elements), contiguous and strided
    a = randn(300, 700, dtype=ember.float32, seed=19)
    b = randn(700, dtype=ember.float32, seed=20)
    ta, tb = to_torch(a), to_torch(b)
    assert_close(a * b + a, ta * tb + ta)
    assert_close((a.t() - 1.0).exp().t(), (ta.t() - 1.0).exp().t())
    assert_close(a.relu(), ta.relu())
    c = a.clone()
    c.mul_(2.0).add_(b)
    assert_close(c, ta * 2.0 + tb)


@pytest.mark.parametrize("make", [lambda: np.float64(2.0), lambda: np.float32(2.0), lambda: np.int64(3)])
def test_numpy_scalars_act_like_python_numbers(make):
    x, tx = ember.ones(2), torch.ones(2)
    for fn in (lambda x, s: s * x, lambda x, s: x * s, lambda x, s: s - x, lambda x, s: x ** s):
        out, tout = fn(x, make()), fn(tx, make())
        assert isinstance(out, ember.Tensor)
        assert_close(out, tout)


# ---------------------------------------------------------------- issue 12 edges (table: tests/op_db.py)

def test_round_is_half_to_even_and_decimals_compose():
    x = [0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 1234.5678]
    assert_close(ember.tensor(x).round(), torch.tensor(x).round())
    assert_close(ember.round(ember.tensor(x), decimals=2), torch.round(torch.tensor(x), decimals=2))
    assert_close(ember.tensor(x).round(decimals=-2), torch.tensor(x).round(decimals=-2))
    assert np.signbit(ember.tensor([-0.4]).round().numpy()).all()  # -0.4 rounds to -0.0


@pytest.mark.parametrize("op", ["fmod", "remainder", "floor_divide"])
def test_integer_division_by_zero_raises_like_torch(op):
    a, b = [5, -3], [2, 0]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(torch, op)(torch.tensor(a), torch.tensor(b))
    with pytest.raises(RuntimeError, match=rf"\[{op}\] ZeroDivisionError"):
        getattr(ember, op)(ember.tensor(a), ember.tensor(b))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        getattr(ember.tensor(a), op + "_")(0)
    # floats divide by zero into inf / nan, as in torch
    assert_close(getattr(ember, op)(ember.tensor([5.0, -3.0]), ember.tensor([0.0, 0.0])),
                 getattr(torch, op)(torch.tensor([5.0, -3.0]), torch.tensor([0.0, 0.0])))


def test_python_operators_match_torch():
    a, b = [7, -7, 3, -2], [2, 2, -4, -3]
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    for fn in (lambda x, y: x % y, lambda x, y: x // y, lambda x, y: x & y, lambda x, y: x | y,
               lambda x, y: x ^ y, lambda x, y: ~x, lambda x, y: 5 % y, lambda x, y: -9 // y,
               lambda x, y: 6 & x, lambda x, y: (x > 0) & (y > 0), lambda x, y: ~(x > 0)):
        assert_close(fn(ea, eb), fn(ta, tb))
    x, tx = ember.tensor([5.5, -5.5]), torch.tensor([5.5, -5.5])
    assert_close(x % 2, tx % 2)
    assert_close(x // -2, tx // -2)
    y, ty = x.clone(), tx.clone()
    y %= 3
    ty %= 3
    assert_close(y, ty)
    with pytest.raises(TypeError, match="only implemented on integer and Boolean"):
        ~x


def test_floor_divide_backward_raises_like_torch():
    x = ember.tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        (x // 2).sum().backward()


def test_allclose_and_equal_give_python_bools():
    a, b = [1.0, float("nan"), 3.0], [1.0 + 1e-7, float("nan"), 3.0]
    for lib in (ember, torch):
        assert lib.allclose(lib.tensor(a), lib.tensor(b)) is False
        assert lib.allclose(lib.tensor(a), lib.tensor(b), equal_nan=True) is True
        assert lib.equal(lib.tensor([1, 2]), lib.tensor([1, 2])) is True
        assert lib.equal(lib.tensor([1, 2]), lib.tensor([1, 3])) is False
        assert lib.equal(lib.tensor([1, 2]), lib.tensor([[1, 2]])) is False


@pytest.mark.parametrize("name,kw", [("relu6", {}), ("hardtanh", dict(min_val=-0.5, max_val=0.5)),
                                     ("elu", dict(alpha=0.7)), ("softplus", dict(beta=2.0, threshold=1.0)),
                                     ("selu", {}), ("silu", {}), ("mish", {}), ("logsigmoid", {})])
def test_activation_gradients_at_their_edges(name, kw):
    # the kinks and thresholds themselves: hardtanh passes no gradient at its bounds, ELU takes
    # the exponential side at 0, softplus switches to the identity strictly above the threshold
    x = ember.tensor([-0.5, 0.0, 0.5, 6.0, 1e-9, -40.0, 40.0], dtype=ember.float64, requires_grad=True)
    tx = to_torch(x)
    out, tout = getattr(ember.nn.functional, name)(x, **kw), getattr(torch.nn.functional, name)(tx, **kw)
    assert_close(out, tout)
    out.backward(ember.ones(7, dtype=ember.float64))
    tout.backward(torch.ones(7, dtype=torch.float64))
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("cls,kw", [("SiLU", {}), ("Mish", {}), ("ELU", dict(alpha=0.5)), ("SELU", {}),
                                    ("Softplus", dict(beta=2.0)), ("ReLU6", {}),
                                    ("Hardtanh", dict(min_val=-2.0, max_val=3.0)), ("LogSigmoid", {})])
def test_activation_modules_match_torch(cls, kw):
    m, tm = getattr(ember.nn, cls)(**kw), getattr(torch.nn, cls)(**kw)
    assert repr(m) == repr(tm)
    x = randn(4, 5, dtype=ember.float32, seed=30) * 4
    assert_close(m(x), tm(to_torch(x)))
    if "inplace" in tm.__init__.__code__.co_varnames:
        mi, tmi = getattr(ember.nn, cls)(inplace=True, **kw), getattr(torch.nn, cls)(inplace=True, **kw)
        assert repr(mi) == repr(tmi)
        y, ty = x.clone(), to_torch(x)
        assert mi(y) is y
        assert_close(y, tmi(ty))
