"""Reductions vs PyTorch: values and gradients in float32/float64 (keepdim, negative and tuple dims,
non-contiguous inputs), gradcheck in float64, hand-worked cases and the error paths."""
import numpy as np
import pytest

import ember
from conftest import assert_close, torch

DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}


def inputs(shape, dtype, transposed=False, seed=0):
    """The same random values as an ember and a torch leaf, and the (maybe transposed) views of them."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(NP[dtype])
    if transposed:  # a non-contiguous view of the requested shape
        a = np.ascontiguousarray(a.swapaxes(0, 1))
    le = ember.tensor(a, requires_grad=True)
    lt = torch.from_numpy(a.copy()).requires_grad_()
    if transposed:
        return le, lt, le.transpose(0, 1), lt.transpose(0, 1)
    return le, lt, le, lt


def check_against_torch(fn, shape, dtype, transposed=False, grad_tol=None):
    """fn (written once, for both libraries) gives the same value and the same input gradient."""
    le, lt, xe, xt = inputs(shape, dtype, transposed)
    oe, ot = fn(xe), fn(xt)
    assert_close(oe, ot)
    g = np.random.default_rng(1).standard_normal(tuple(ot.shape)).astype(NP[dtype])
    oe.backward(ember.tensor(g))
    ot.backward(torch.from_numpy(g))
    assert_close(le.grad, lt.grad, **(grad_tol or {}))


REDUCTIONS = {
    "mean_all": lambda x: x.mean(),
    "mean_dim": lambda x: x.mean(1),
    "mean_neg_keep": lambda x: x.mean(-1, keepdim=True),
    "mean_tuple": lambda x: x.mean((0, 2)),
    "var_all": lambda x: x.var(),
    "var_dim": lambda x: x.var(1),
    "var_biased": lambda x: x.var(-1, unbiased=False, keepdim=True),
    "var_correction": lambda x: x.var((0, 2), correction=0),
    "std_all": lambda x: x.std(),
    "std_dim_keep": lambda x: x.std(0, keepdim=True),
    "std_tuple": lambda x: x.std((-1, 0), correction=2),
    "amax_all": lambda x: x.amax(),
    "amax_dim": lambda x: x.amax(1),
    "amax_tuple_keep": lambda x: x.amax((0, -1), keepdim=True),
    "amin_dim": lambda x: x.amin(-1),
    "amin_tuple": lambda x: x.amin((1, 2)),
    "max_all": lambda x: x.max(),
    "min_all": lambda x: x.min(),
    "max_dim": lambda x: x.max(1).values,
    "max_dim_keep": lambda x: x.max(-1, keepdim=True)[0],
    "min_dim": lambda x: x.min(0).values,
    "min_dim_keep": lambda x: x.min(dim=2, keepdim=True).values,
    "sum_tuple": lambda x: x.sum((0, 2)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_torch(name, dtype, transposed):
    check_against_torch(REDUCTIONS[name], (3, 4, 5), dtype, transposed)


@pytest.mark.parametrize("name", ["mean_tuple", "var_dim", "std_tuple", "amax_tuple_keep", "max_dim_keep",
                                  "min_all", "var_correction"])
def test_reduction_gradcheck(name):
    x = ember.tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), requires_grad=True)
    assert ember.autograd.gradcheck(REDUCTIONS[name], (x,))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, dim, keepdim):
    _, _, xe, xt = inputs((3, 4), ember.float32, transposed=True)
    assert_close(getattr(xe, op)(dim=dim, keepdim=keepdim), getattr(xt, op)(dim=dim, keepdim=keepdim))
    assert_close(getattr(ember, op)(xe, dim), getattr(torch, op)(xt, dim))


def test_max_dim_indices_and_unpacking():
    _, _, xe, xt = inputs((4, 6), ember.float64)
    values, indices = xe.max(1)
    assert_close(values, xt.max(1).values)
    assert_close(indices, xt.max(1).indices)
    me = ember.min(xe, 0, keepdim=True)
    assert_close(me.indices, torch.min(xt, 0, keepdim=True).indices)
    assert_close(ember.max(xe), torch.max(xt))
    assert_close(xe.max(xe * 2), torch.max(xt, xt * 2))  # max(other) is the elementwise maximum


def test_max_gradient_flows_to_argmax():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(1)
    (values * ember.tensor([10.0, 20.0])).sum().backward()
    # Row 0: all of it to index 1; row 1 has a tie, PyTorch picks the first index (0).
    assert indices.tolist() == [1, 0]
    assert x.grad.tolist() == [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]]


def test_amax_and_max_all_split_ties_evenly():
    x = ember.tensor([[1.0, 3.0, 3.0], [2.0, 3.0, 0.0]], requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.0, 1.0, 0.0]]
    x.grad = None
    x.max().backward()  # three-way tie for the overall max
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1 / 3, 1 / 3], [0, 1 / 3, 0]])
    xt = torch.tensor([[1.0, 3.0, 3.0], [2.0, 3.0, 0.0]], requires_grad=True)
    xt.max().backward()
    assert_close(x.grad, xt.grad)


def test_var_hand_worked():
    x = ember.tensor([1.0, 2.0, 3.0, 4.0], dtype=ember.float64, requires_grad=True)
    v = x.var()  # mean 2.5, squared deviations 5, n - 1 = 3
    assert v.item() == pytest.approx(5 / 3)
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * (xi - 2.5) / 3 for xi in (1, 2, 3, 4)])
    assert x.std(unbiased=False).item() == pytest.approx(np.sqrt(5 / 4))
    assert ember.var(x, 0, False).item() == pytest.approx(5 / 4)  # unbiased given positionally


def test_var_is_stable_for_large_offsets():
    a = (1e6 + np.random.default_rng(3).standard_normal(1000)).astype(np.float32)
    # The exact variance of these float32 values (accumulated in double, as ember does).
    exact = torch.from_numpy(a).double().var().float()
    assert_close(ember.tensor(a).var(), exact, rtol=1e-6)


def test_std_of_constant_has_zero_gradient():
    x = ember.ones(3, requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_double_backward_through_var():
    x = ember.tensor(np.random.default_rng(4).standard_normal(5), requires_grad=True)
    xt = to_torch_leaf(x)
    (ge,) = ember.autograd.grad(x.var(), x, create_graph=True)
    (gt,) = torch.autograd.grad(xt.var(), xt, create_graph=True)
    (ge * ge).sum().backward()
    (gt * gt).sum().backward()
    assert_close(x.grad, xt.grad)


def to_torch_leaf(x):
    return torch.from_numpy(x.detach().numpy().copy()).requires_grad_()


def test_integer_and_bool_reductions():
    a = np.array([[3, -1, 7], [7, 2, -5]], dtype=np.int64)
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    for fn in [lambda x: x.sum(), lambda x: x.sum(1), lambda x: x.amax(0), lambda x: x.amin(), lambda x: x.max(),
               lambda x: x.min(1).values, lambda x: x.max(1).indices, lambda x: x.argmax(), lambda x: x.argmin(1)]:
        assert_close(fn(xe), fn(xt))
    b = np.array([True, False, True])
    assert_close(ember.tensor(b).sum(), torch.from_numpy(b).sum())


def test_all_any_count_nonzero_dims():
    """all/any over dim=() reduce nothing (x != 0), count_nonzero (like sum) everything."""
    a = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -3.0]])
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    for fn in [lambda L, x: x.all(dim=()), lambda L, x: L.any(x, ()), lambda L, x: L.count_nonzero(x),
               lambda L, x: x.count_nonzero(-1), lambda L, x: L.count_nonzero(x, dim=(0, 1)),
               lambda L, x: L.count_nonzero(x, ()), lambda L, x: x.bool().count_nonzero(0)]:
        assert_close(fn(ember, xe), fn(torch, xt))


def test_nan_propagates_through_max():
    a = np.array([1.0, np.nan, 3.0, np.nan], dtype=np.float32)
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    assert_close(xe.max(0).values, xt.max(0).values)
    assert_close(xe.max(0).indices, xt.max(0).indices)
    assert_close(xe.argmax(), xt.argmax())
    assert_close(xe.amin(), xt.amin())


@pytest.mark.filterwarnings("ignore:var.*degrees of freedom:UserWarning")
def test_zero_dim_and_empty_shapes():
    s = ember.tensor(3.0)
    assert_close(s.max(0).values, torch.tensor(3.0).max(0).values)
    assert s.argmax(0).item() == 0
    e, et = ember.zeros(0, 3), torch.zeros(0, 3)
    assert_close(e.amax(1), et.amax(1))
    assert_close(e.max(1).values, et.max(1).values)
    assert_close(e.mean(0), et.mean(0))  # 0 / 0: NaN, as in PyTorch
    assert_close(ember.tensor([1.0]).var(), torch.tensor([1.0]).var())


@pytest.mark.parametrize("fn, exc, match", [
    (lambda: ember.tensor([1, 2]).mean(), RuntimeError, r"\[mean\] could not infer output dtype.*int64"),
    (lambda: ember.zeros(0, 3).max(), RuntimeError, r"\[max\] Expected reduction dim to be specified"),
    (lambda: ember.zeros(0, 3).amax(), RuntimeError, r"\[amax\] Expected reduction dim to be specified"),
    (lambda: ember.zeros(0, 3).max(0), IndexError, r"\[max\] Expected reduction dim 0 to have non-zero size"),
    (lambda: ember.zeros(0, 3).argmin(0), IndexError, r"\[argmin\] Expected reduction dim 0 to have non-zero"),
    (lambda: ember.zeros(0, 3).argmax(), IndexError, r"\[argmax\] Expected reduction dim to be specified"),
    (lambda: ember.zeros(2, 3).mean((0, 0)), RuntimeError, r"\[mean\] dim 0 appears multiple times"),
    (lambda: ember.zeros(2, 3).var(2), IndexError, r"Dimension out of range"),
    (lambda: ember.zeros(2, 3).var(0, unbiased=True, correction=0), TypeError, r"\[var\] cannot specify both"),
    (lambda: ember.tensor([True, False]).argmax(), RuntimeError, r"\[argmax\] does not support bool"),
    (lambda: ember.zeros(2).max(keepdim=True), TypeError, r"max\(\) got keepdim=True without a dim"),
])
def test_reduction_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_no_degrees_of_freedom_warns_as_torch_does():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
            assert lib.tensor([1.0]).var().isnan().item()  # 0 / 0
        with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom is <= 0"):
            lib.ones(3, 4).std(0, correction=3)
        with pytest.warns(UserWarning, match="degrees of freedom"):
            lib.ones(3, 0).var(0)  # an empty output: a reduction factor of 0
