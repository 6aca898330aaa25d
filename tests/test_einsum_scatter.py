"""einsum (ellipsis, diagonals, broadcasting, sublists), scatter / scatter_reduce (every reduce,
include_self, the scalar and reduce= forms of scatter), index_add (alpha) / index_copy /
index_fill, and the sign of zero that abs and the max/min family return: values, dtypes,
gradients (against PyTorch and by gradcheck in float64) and errors, against PyTorch 2.13 (CPU)."""
import math
import warnings

import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, assert_close, to_torch, torch

F32, F64, I64, B = ember.float32, ember.float64, ember.int64, ember.bool


def pair(shape, dtype=F64, seed=0, low=-3, high=4, ints=False, requires_grad=False):
    """The same values as an ember and a torch tensor (small integers when `ints`: many ties)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(low, high, shape) if ints or dtype in (I64, B) else rng.standard_normal(shape)
    e = ember.tensor(a.astype(bool) if dtype == B else a, dtype=dtype)
    if requires_grad:
        e.requires_grad_()
    return e, to_torch(e)


def signs(t):
    return [math.copysign(1.0, v) for v in np.asarray(t.detach().numpy(), dtype=np.float64).reshape(-1)]


def same_error(fn, exc=RuntimeError):
    """fn(ember) and fn(torch) raise the same error type with the same message."""
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(exc) as got:
        fn(ember)
    assert type(want.value) is exc, f"torch raised {type(want.value).__name__}: {want.value}"
    assert str(got.value) == str(want.value).split("\n")[0]


# ---------------------------------------------------------------- signed zeros
# Note [Signed zeros in max and min] (csrc/kernels/reduce_functors.h) says what PyTorch returns.

def zero_patterns(n, count=12, seed=0):
    rng = np.random.default_rng(seed + n)
    return [[0.0 if b else -0.0 for b in rng.integers(0, 2, n)] for _ in range(count)] + [[-0.0] * n, [0.0] * n]


@pytest.mark.parametrize("dtype", [F32, F64])
def test_abs_clears_the_sign_of_zero_and_nan(dtype):
    vals = [-0.0, 0.0, -float("nan"), -2.5, float("-inf")]
    e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
    assert signs(e.abs()) == signs(t.abs()) == [1.0] * 5
    assert signs(abs(e)) == signs(t.abs())
    assert signs(ember.abs(e)) == signs(t.abs())
    x = e.clone()
    x.abs_()
    assert signs(x) == [1.0] * 5
    assert signs(e.norm(float("inf"))) == signs(t.norm(float("inf")))


@pytest.mark.parametrize("dtype,sizes", [(F32, [1, 2, 3, 4, 5, 7, 8, 16]), (F64, [1, 2, 3, 4, 8])])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_everything_keep_the_last_zero(dtype, sizes, op):
    """x.max()/x.min() of +0/-0 patterns shorter than one AVX2 vector, or whole vectors of zeros:
    PyTorch returns the last of the equal elements (ember used to return the first)."""
    for n in sizes:
        for vals in zero_patterns(n):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            assert signs(getattr(e, op)()) == signs(getattr(t, op)()) == [math.copysign(1.0, vals[-1])], vals
            assert signs(getattr(ember, op)(e)) == signs(getattr(t, op)())
    # a negative number next to the zeros changes nothing for max, and is the min
    e, t = ember.tensor([-1.0, -0.0, 0.0], dtype=dtype), torch.tensor([-1.0, -0.0, 0.0], dtype=TORCH_DTYPE[dtype])
    assert signs(getattr(e, op)()) == signs(getattr(t, op)())


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin_keep_the_first_zero(dtype, op):
    for n in [1, 2, 3, 5, 8, 15]:
        for vals in zero_patterns(n):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            assert signs(getattr(e, op)()) == signs(getattr(t, op)()) == [math.copysign(1.0, vals[0])], vals
            assert signs(getattr(e, op)(0)) == signs(getattr(t, op)(0))
            assert signs(getattr(ember, op)(e, 0, keepdim=True)) == signs(getattr(torch, op)(t, 0, keepdim=True))
    rows = [[-0.0, 0.0, 0.0], [0.0, -0.0, 0.0], [-0.0, -0.0, 0.0]]  # along the last dim and along the first
    e, t = ember.tensor(rows, dtype=dtype), torch.tensor(rows, dtype=TORCH_DTYPE[dtype])
    for dim in (0, 1, -1):
        assert signs(getattr(e, op)(dim)) == signs(getattr(t, op)(dim))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_a_dim_return_the_first_zero_and_its_index(dtype, op):
    for n in [1, 2, 7, 33, 100]:
        for vals in zero_patterns(n, count=4):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            (ev, ei), (tv, ti) = getattr(e, op)(0), getattr(t, op)(0)
            assert signs(ev) == signs(tv) and ei.item() == ti.item() == 0
    vals = [[-0.0, 0.0], [0.0, -0.0], [-1.0, -0.0]]
    e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
    for dim in (0, 1):
        (ev, ei), (tv, ti) = getattr(e, op)(dim), getattr(t, op)(dim)
        assert signs(ev) == signs(tv) and ei.tolist() == ti.tolist()


@pytest.mark.parametrize("dtype", [F32, F64])
def test_maximum_minimum_keep_the_first_operand_on_a_tie(dtype):
    a = [-0.0, 0.0, -0.0, 0.0, 1.0]
    b = [0.0, -0.0, -0.0, 0.0, float("nan")]
    ea, eb = ember.tensor(a, dtype=dtype), ember.tensor(b, dtype=dtype)
    ta, tb = torch.tensor(a, dtype=TORCH_DTYPE[dtype]), torch.tensor(b, dtype=TORCH_DTYPE[dtype])
    for op in ("maximum", "minimum"):
        got, want = getattr(ember, op)(ea, eb), getattr(torch, op)(ta, tb)
        assert signs(got)[:4] == signs(want)[:4] == signs(ea)[:4]
        assert math.isnan(got[4].item()) and math.isnan(want[4].item())
    # the gradient of a tie is still split in half
    x = ember.tensor([-0.0, 1.0], dtype=dtype, requires_grad=True)
    ember.maximum(x, ember.tensor([0.0, 0.0], dtype=dtype)).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0]


# ---------------------------------------------------------------- scatter_reduce

REDUCES = ["sum", "prod", "mean", "amax", "amin"]
# (self shape, dim, index shape, src shape): src larger than the index, the last dim, 3-d
SCATTER_SHAPES = [((4, 5), 0, (3, 5), (3, 6)), ((4, 5), 1, (4, 7), (4, 7)), ((4, 5), -1, (2, 3), (3, 3)),
                  ((3, 2, 4), 1, (3, 5, 4), (3, 5, 4)), ((6,), 0, (9,), (10,))]


def scatter_index(self_shape, dim, index_shape, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, self_shape[dim], index_shape)
    return ember.tensor(idx), torch.tensor(idx)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", [F32, F64, I64])
@pytest.mark.parametrize("shapes", SCATTER_SHAPES)
def test_scatter_reduce_matches_torch(reduce, include_self, dtype, shapes):
    self_shape, dim, index_shape, src_shape = shapes
    x, tx = pair(self_shape, dtype, seed=1, ints=True)
    s, ts = pair(src_shape, dtype, seed=2, ints=True)
    i, ti = scatter_index(self_shape, dim, index_shape)
    ts_cut = ts[tuple(slice(0, n) for n in index_shape)]
    want = tx.scatter_reduce(dim, ti, ts_cut, reduce, include_self=include_self)
    assert_close(x.scatter_reduce(dim, i, s, reduce, include_self=include_self), want)
    assert_close(ember.scatter_reduce(x, dim, i, s, reduce=reduce, include_self=include_self), want)
    if dtype != I64:  # continuous values too
        x, tx = pair(self_shape, dtype, seed=3)
        s, ts = pair(src_shape, dtype, seed=4)
        ts_cut = ts[tuple(slice(0, n) for n in index_shape)]
        assert_close(x.scatter_reduce(dim, i, s, reduce, include_self=include_self),
                     tx.scatter_reduce(dim, ti, ts_cut, reduce, include_self=include_self))


@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_bool(reduce, include_self):
    x, tx = pair((4, 5), B, seed=5, low=0, high=2)
    s, ts = pair((3, 5), B, seed=6, low=0, high=2)
    i, ti = scatter_index((4, 5), 0, (3, 5))
    assert_close(x.scatter_reduce(0, i, s, reduce, include_self=include_self),
                 tx.scatter_reduce(0, ti, ts, reduce, include_self=include_self))


def test_scatter_reduce_edges():
    # integer mean divides with floor, as PyTorch's; extremes of int64 survive amax/amin
    x = ember.tensor([-7, 5, 0])
    i = ember.tensor([0, 0, 1, 1])
    s = ember.tensor([2, -2, 3, 4])
    for include_self in (True, False):
        assert x.scatter_reduce(0, i, s, "mean", include_self=include_self).tolist() == \
            torch.tensor([-7, 5, 0]).scatter_reduce(0, torch.tensor([0, 0, 1, 1]), torch.tensor([2, -2, 3, 4]), "mean",
                                                    include_self=include_self).tolist()
    big = ember.tensor([2 ** 62, -(2 ** 62)])
    assert ember.zeros(2, dtype=I64).scatter_reduce(0, ember.tensor([0, 1]), big, "amin", include_self=False).tolist() == \
        [2 ** 62, -(2 ** 62)]
    assert ember.zeros(2, dtype=I64).scatter_reduce(0, ember.tensor([1, 1]), big, "amax", include_self=False).tolist() == \
        [0, 2 ** 62]
    assert ember.zeros(2, dtype=I64).scatter_reduce(0, ember.tensor([1, 1]), -big, "amax", include_self=False).tolist() \
        == [0, 2 ** 62]
    # NaN wins a max/min from either side; an untouched position keeps self, NaN or not
    nan = float("nan")
    for reduce in ("amax", "amin"):
        e = ember.tensor([nan, 1.0, 2.0]).scatter_reduce(0, ember.tensor([0, 1, 1]), ember.tensor([5.0, nan, 3.0]),
                                                         reduce)
        t = torch.tensor([nan, 1.0, 2.0]).scatter_reduce(0, torch.tensor([0, 1, 1]), torch.tensor([5.0, nan, 3.0]),
                                                         reduce)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    # +0/-0 ties: self is kept, then the first src (std::max(self, src) in index order)
    for include_self in (True, False):
        for reduce in ("amax", "amin"):
            e = ember.tensor([-0.0, 0.0]).scatter_reduce(0, ember.tensor([0, 0, 1, 1]),
                                                         ember.tensor([0.0, -0.0, -0.0, 0.0]), reduce,
                                                         include_self=include_self)
            t = torch.tensor([-0.0, 0.0]).scatter_reduce(0, torch.tensor([0, 0, 1, 1]),
                                                         torch.tensor([0.0, -0.0, -0.0, 0.0]), reduce,
                                                         include_self=include_self)
            assert signs(e) == signs(t)
    # 0-d self with a 0-d or 1-d index; an empty index leaves self as it is
    assert ember.tensor(5.0).scatter_reduce(0, ember.tensor(0), ember.tensor(2.0), "prod").item() == 10.0
    assert ember.tensor(5.0).scatter_reduce(0, ember.tensor([0]), ember.tensor([2.0]), "sum").item() == 7.0
    x = ember.tensor([[1.0, 2.0]])
    assert x.scatter_reduce(1, ember.zeros(1, 0, dtype=I64), ember.ones(1, 0), "amax", include_self=False).tolist() \
        == [[1.0, 2.0]]


def scatter_reduce_grads(reduce, include_self, ints, seed):
    x, tx = pair((4, 5), F64, seed=seed, ints=ints, low=-2, high=3, requires_grad=True)
    s, ts = pair((3, 6), F64, seed=seed + 1, ints=ints, low=-2, high=3, requires_grad=True)
    i, ti = scatter_index((4, 5), 0, (3, 5), seed=seed)
    g, tg = pair((4, 5), F64, seed=seed + 2)
    out = x.scatter_reduce(0, i, s, reduce, include_self=include_self)
    tout = tx.scatter_reduce(0, ti, ts[:, :5], reduce, include_self=include_self)
    assert_close(out, tout)
    got = ember.autograd.grad(out, [x, s], g)
    want = torch.autograd.grad(tout, [tx, ts], tg)
    for e, t in zip(got, want):
        assert_close(e, t)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_match_torch(reduce, include_self):
    """With continuous values and with small integers (ties for amax/amin, zeros for prod, among
    them single and repeated zeros at one position)."""
    for seed in range(6):
        scatter_reduce_grads(reduce, include_self, ints=False, seed=seed)
        scatter_reduce_grads(reduce, include_self, ints=True, seed=seed)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradcheck(reduce, include_self):
    x = ember.randn(4, 3, dtype=F64, requires_grad=True)
    s = ember.randn(3, 4, dtype=F64, requires_grad=True)
    i = ember.tensor([[0, 1, 0], [3, 1, 1], [0, 2, 1]])
    fn = lambda x, s: x.scatter_reduce(0, i, s, reduce, include_self=include_self)  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, s))
    assert ember.autograd.gradgradcheck(fn, (x, s))


def test_scatter_reduce_in_place():
    for reduce in REDUCES:
        a, ta = pair((4, 5), F64, seed=7, requires_grad=True)
        s, ts = pair((3, 5), F64, seed=8, requires_grad=True)
        i, ti = scatter_index((4, 5), 0, (3, 5), seed=2)
        x, tx = a * 2, ta * 2
        v = x._version
        assert x.scatter_reduce_(0, i, s, reduce, include_self=False) is x
        assert x._version > v
        tx.scatter_reduce_(0, ti, ts, reduce, include_self=False)
        assert_close(x, tx)
        (x * x).sum().backward()
        (tx * tx).sum().backward()
        assert_close(a.grad, ta.grad)
        assert_close(s.grad, ts.grad)
    # self without grad, src with: self's values are still saved for src's gradient
    for reduce in ("prod", "amax"):
        x, tx = ember.tensor([1.0, 2.0, 3.0], dtype=F64), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        s, ts = pair((4,), F64, seed=9, requires_grad=True)
        x.scatter_reduce_(0, ember.tensor([0, 0, 2, 1]), s, reduce)
        tx.scatter_reduce_(0, torch.tensor([0, 0, 2, 1]), ts, reduce)
        x.sum().backward()
        tx.sum().backward()
        assert_close(s.grad, ts.grad)
    leaf = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.scatter_reduce_(0, ember.tensor([0]), ember.ones(1), "sum")


def test_scatter_reduce_errors():
    i = lambda m: m.tensor([[0, 1]])  # noqa: E731
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(0, i(m), m.ones(1, 2), "bogus"))
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(0, i(m), m.ones(1, 2, dtype=m.float64), "sum"))
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(0, i(m)[0], m.ones(1, 2), "sum"))
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(0, i(m), m.ones(1, 2, 1), "sum"))
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(0, m.zeros(3, 2, dtype=m.int64), m.ones(2, 2), "sum"))
    same_error(lambda m: m.zeros(2, 2).scatter_reduce(1, m.zeros(2, 3, dtype=m.int64), m.ones(2, 2), "sum"))
    same_error(lambda m: m.zeros(2, 2).scatter(1, m.zeros(3, 1, dtype=m.int64), m.ones(3, 2)))
    with pytest.raises(RuntimeError, match="Expected dtype int"):
        ember.zeros(2, 2).scatter_reduce(0, i(ember).float(), ember.ones(1, 2), "sum")
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.zeros(2, 2).scatter_reduce(2, i(ember), ember.ones(1, 2), "sum")
    # an index out of range: RuntimeError, as PyTorch (index_copy/index_fill raise IndexError, below)
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 2"):
        ember.zeros(2, 2).scatter_reduce(0, ember.tensor([[5, 0]]), ember.ones(1, 2), "sum")
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        ember.zeros(2, 2, dtype=B).scatter_reduce(0, i(ember), ember.ones(1, 2, dtype=B), "mean")
    with pytest.raises(TypeError):
        ember.zeros(2, 2).scatter_reduce(0, i(ember), ember.ones(1, 2), "sum", True)  # include_self is keyword-only


# ---------------------------------------------------------------- scatter, scatter(reduce=)

@pytest.mark.parametrize("dtype", [F32, F64, I64, B])
@pytest.mark.parametrize("shapes", SCATTER_SHAPES)
def test_scatter_matches_torch(dtype, shapes):
    self_shape, dim, index_shape, src_shape = shapes
    x, tx = pair(self_shape, dtype, seed=1)
    s, ts = pair(src_shape, dtype, seed=2)
    # unique positions along dim, so the result does not depend on which duplicate wins
    rng = np.random.default_rng(0)
    n = min(index_shape[dim], self_shape[dim])
    cut = list(index_shape)
    cut[dim] = n
    idx = np.argsort(rng.random(cut), axis=dim)
    assert_close(x.scatter(dim, ember.tensor(idx), s), tx.scatter(dim, torch.tensor(idx), ts))
    assert_close(ember.scatter(x, dim, ember.tensor(idx), s), tx.scatter(dim, torch.tensor(idx), ts))
    value = True if dtype == B else 2
    assert_close(x.scatter(dim, ember.tensor(idx), value), tx.scatter(dim, torch.tensor(idx), value))
    assert_close(x.scatter(dim, ember.tensor(idx), value=value), tx.scatter(dim, torch.tensor(idx), value=value))


def test_scatter_duplicates_keep_the_last_and_values_are_cast():
    e = ember.zeros(3).scatter(0, ember.tensor([0, 0, 2, 2]), ember.tensor([1.0, 2.0, 3.0, 4.0]))
    t = torch.zeros(3).scatter(0, torch.tensor([0, 0, 2, 2]), torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert e.tolist() == t.tolist() == [2.0, 0.0, 4.0]
    e = ember.zeros(3, dtype=I64).scatter(0, ember.tensor([0, 1]), 2.7)
    assert e.dtype == I64 and e.tolist() == torch.zeros(3, dtype=torch.int64).scatter(0, torch.tensor([0, 1]), 2.7).tolist()


@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("dtype", [F64, I64])
def test_scatter_with_reduce_matches_torch(reduce, dtype):
    x, tx = pair((4, 5), dtype, seed=3, ints=True)
    s, ts = pair((3, 5), dtype, seed=4, ints=True)
    i, ti = scatter_index((4, 5), 0, (3, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(x.scatter(0, i, s, reduce=reduce), tx.scatter(0, ti, ts, reduce=reduce))
        assert_close(x.scatter(0, i, 3, reduce=reduce), tx.scatter(0, ti, 3, reduce=reduce))
        y, ty = x.clone(), tx.clone()
        y.scatter_(0, i, s, reduce=reduce)
        ty.scatter_(0, ti, ts, reduce=reduce)
        assert_close(y, ty)
    assert_close(ember.ones(3, dtype=dtype).scatter(0, ember.tensor([0, 0]), 3, reduce=reduce),
                 torch.ones(3, dtype=TORCH_DTYPE[dtype]).scatter(0, torch.tensor([0, 0]), 3, reduce=reduce))


def test_scatter_reduce_argument_warns_once_and_checks_its_name():
    import ember._scatter_ops as ops
    ops._warned_scatter_reduce = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.zeros(3).scatter(0, ember.tensor([0]), ember.ones(1), reduce="add")
        ember.zeros(3).scatter(0, ember.tensor([0]), ember.ones(1), reduce="add")
        ember.zeros(3).scatter(0, ember.tensor([0]), 1.0, reduce="add")  # a scalar value: no warning
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith("The reduce argument of torch.scatter with Tensor src is deprecated")
    same_error(lambda m: m.zeros(3).scatter_(0, m.tensor([0]), 1.0, reduce="mean"))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply."):
        ember.zeros(3).scatter(0, ember.tensor([0]), ember.ones(1), reduce="sum")
    same_error(lambda m: m.zeros(3).scatter(0, m.tensor([0]), m.ones(1, dtype=m.float64)))


def test_scatter_gradients_match_torch():
    x, tx = pair((4, 5), F64, seed=1, requires_grad=True)
    s, ts = pair((2, 5), F64, seed=2, requires_grad=True)
    idx = [[0, 1, 2, 3, 0], [2, 3, 0, 1, 1]]
    g, tg = pair((4, 5), F64, seed=3)
    out, tout = x.scatter(0, ember.tensor(idx), s), tx.scatter(0, torch.tensor(idx), ts)
    for e, t in zip(ember.autograd.grad(out, [x, s], g), torch.autograd.grad(tout, [tx, ts], tg)):
        assert_close(e, t)
    out = x.scatter(1, ember.tensor(idx), 2.5)  # the value form: self's gradient only
    (gx,) = ember.autograd.grad(out, [x], g)
    (tgx,) = torch.autograd.grad(tx.scatter(1, torch.tensor(idx), 2.5), [tx], tg)
    assert_close(gx, tgx)
    i = ember.tensor([[0, 1, 2], [2, 0, 1]])
    assert ember.autograd.gradcheck(lambda x, s: x.scatter(1, i, s), (ember.randn(2, 4, dtype=F64, requires_grad=True),
                                                                      ember.randn(2, 3, dtype=F64, requires_grad=True)))
    # scatter(reduce=) has no derivative in PyTorch; ember's is scatter_reduce's (sum / prod)
    a = ember.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)
    b = ember.tensor([4.0, 5.0], dtype=F64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ga, gb = ember.autograd.grad(a.scatter(0, ember.tensor([0, 0]), b, reduce="multiply").sum(), [a, b])
    assert ga.tolist() == [20.0, 1.0, 1.0] and gb.tolist() == [5.0, 4.0]


def test_scatter_add_in_place():
    a, ta = pair((3, 4), F64, seed=1, requires_grad=True)
    s, ts = pair((2, 4), F64, seed=2, requires_grad=True)
    i, ti = scatter_index((3, 4), 0, (2, 4))
    x, tx = a * 1, ta * 1
    assert x.scatter_add_(0, i, s) is x
    tx.scatter_add_(0, ti, ts)
    assert_close(x, tx)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    assert_close(a.grad, ta.grad)
    assert_close(s.grad, ts.grad)


# ---------------------------------------------------------------- index_add / index_copy / index_fill

@pytest.mark.parametrize("dtype,alpha", [(F32, 1), (F64, 2.5), (F64, -1), (I64, 3), (I64, 2.5), (B, 2)])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_matches_torch(dtype, alpha, dim):
    x, tx = pair((4, 5), dtype, seed=1, low=0, high=2 if dtype == B else 4)
    i = [0, 2, 0, 1] if dim == 0 else [4, 0, 4]
    shape = [4, 5]
    shape[dim] = len(i)
    s, ts = pair(tuple(shape), dtype, seed=2, low=0, high=2 if dtype == B else 4)
    want = tx.index_add(dim, torch.tensor(i), ts, alpha=alpha)
    assert_close(x.index_add(dim, ember.tensor(i), s, alpha=alpha), want)
    assert_close(ember.index_add(x, dim, ember.tensor(i), s, alpha=alpha), want)
    y = x.clone()
    assert y.index_add_(dim, ember.tensor(i), s, alpha=alpha) is y
    assert_close(y, want)


def test_index_add_gradients():
    x, tx = pair((4, 3), F64, seed=1, requires_grad=True)
    s, ts = pair((5, 3), F64, seed=2, requires_grad=True)
    i = [0, 2, 0, 3, 3]
    g, tg = pair((4, 3), F64, seed=3)
    out = (x.index_add(0, ember.tensor(i), s, alpha=-1.5) * x)
    tout = (tx.index_add(0, torch.tensor(i), ts, alpha=-1.5) * tx)
    for e, t in zip(ember.autograd.grad(out, [x, s], g), torch.autograd.grad(tout, [tx, ts], tg)):
        assert_close(e, t)
    i = ember.tensor([1, 0, 1])
    assert ember.autograd.gradcheck(lambda x, s: x.index_add(1, i, s, alpha=2),
                                    (ember.randn(2, 3, dtype=F64, requires_grad=True),
                                     ember.randn(2, 3, dtype=F64, requires_grad=True)))
    a = ember.randn(3, 2, dtype=F64, requires_grad=True)
    y = a * 1
    y.index_add_(0, ember.tensor([2]), ember.ones(1, 2, dtype=F64), alpha=3)
    y.sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]] * 3


def test_index_add_errors():
    same_error(lambda m: m.zeros(3, 4).index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64)))
    same_error(lambda m: m.zeros(3, 4).index_add(0, m.tensor([0.0]), m.ones(1, 4)))
    same_error(lambda m: m.zeros(3, 4).index_add(0, m.tensor([[0]]), m.ones(1, 4)), IndexError)
    same_error(lambda m: m.zeros(3, 4).index_add(0, m.tensor([0, 1, 2]), m.ones(2, 4)))
    same_error(lambda m: m.zeros(3, 4).index_add(2, m.tensor([0]), m.ones(1, 4)), IndexError)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [F64, I64, B])
def test_index_copy_matches_torch(dim, dtype):
    x, tx = pair((4, 5), dtype, seed=1, low=0, high=2)
    i = [3, 0, 1] if dim == 0 else [4, 0]
    shape = [4, 5]
    shape[dim] = len(i)
    s, ts = pair(tuple(shape), dtype, seed=2, low=2, high=9)
    want = tx.index_copy(dim, torch.tensor(i), ts)
    assert_close(x.index_copy(dim, ember.tensor(i), s), want)
    assert_close(ember.index_copy(x, dim, ember.tensor(i), s), want)
    y = x.clone()
    assert y.index_copy_(dim, ember.tensor(i), s) is y
    assert_close(y, want)
    # duplicates: the last one (PyTorch's CPU order); 0-d self
    assert ember.zeros(5).index_copy(0, ember.tensor([1, 1, 1]), ember.tensor([1.0, 2.0, 3.0])).tolist() == \
        torch.zeros(5).index_copy(0, torch.tensor([1, 1, 1]), torch.tensor([1.0, 2.0, 3.0])).tolist()
    assert ember.tensor(5.0).index_copy(0, ember.tensor([0]), ember.tensor(2.0)).item() == 2.0


def test_index_copy_gradients_and_errors():
    x, tx = pair((3, 4), F64, seed=1, requires_grad=True)
    s, ts = pair((3, 2), F64, seed=2, requires_grad=True)
    g, tg = pair((3, 4), F64, seed=3)
    out, tout = x.index_copy(1, ember.tensor([3, 0]), s) * x, tx.index_copy(1, torch.tensor([3, 0]), ts) * tx
    for e, t in zip(ember.autograd.grad(out, [x, s], g), torch.autograd.grad(tout, [tx, ts], tg)):
        assert_close(e, t)
    assert ember.autograd.gradcheck(lambda x, s: x.index_copy(0, ember.tensor([2, 0]), s),
                                    (ember.randn(3, 2, dtype=F64, requires_grad=True),
                                     ember.randn(2, 2, dtype=F64, requires_grad=True)))
    same_error(lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64)))
    same_error(lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0.0]), m.ones(1, 4)))
    same_error(lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0, 1, 2]), m.ones(2, 4)), IndexError)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        ember.zeros(3, 4).index_copy(0, ember.tensor([5]), ember.ones(1, 4))


@pytest.mark.parametrize("dtype", [F32, F64, I64])
def test_index_fill_matches_torch(dtype):
    x, tx = pair((3, 4), dtype, seed=1)
    for dim, i in ((1, [0, 2]), (0, [-1]), (-1, [3, -4, 1])):
        for value in (-1, 2.7):
            want = tx.index_fill(dim, torch.tensor(i), value)
            assert_close(x.index_fill(dim, ember.tensor(i), value), want)
            assert_close(ember.index_fill(x, dim, ember.tensor(i), value), want)
            y = x.clone()
            assert y.index_fill_(dim, ember.tensor(i), value) is y
            assert_close(y, want)
    assert_close(x.index_fill(1, ember.tensor([1]), ember.tensor(5.0)),
                 tx.index_fill(1, torch.tensor([1]), torch.tensor(5.0)))
    assert ember.tensor(5.0).index_fill(0, ember.tensor([0]), 1).item() == 1.0


def test_index_fill_gradients_and_errors():
    a, ta = pair((3, 4), F64, seed=1, requires_grad=True)
    v, tv = ember.tensor(2.0, dtype=F64, requires_grad=True), torch.tensor(2.0, dtype=torch.float64,
                                                                            requires_grad=True)
    g, tg = pair((3, 4), F64, seed=3)
    out, tout = a.index_fill(1, ember.tensor([0, 2]), v), ta.index_fill(1, torch.tensor([0, 2]), tv)
    for e, t in zip(ember.autograd.grad(out, [a, v], g), torch.autograd.grad(tout, [ta, tv], tg)):
        assert_close(e, t)
    same_error(lambda m: m.zeros(3, 4).index_fill(1, m.tensor([0]), m.tensor([1.0])))
    same_error(lambda m: m.zeros(3, 4).index_fill(1, m.tensor([[0]]), 1))
    same_error(lambda m: m.zeros(3, 4).index_fill(1, m.tensor([0.0]), 1), IndexError)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 4"):
        ember.zeros(3, 4).index_fill(1, ember.tensor([5]), 1)


# ---------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ba", [(2, 3)]), ("bA", [(2, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    # ellipsis: batch dims that broadcast, on either side, implicit output
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)]), ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]), ("...i,i->...", [(2, 3, 4), (4,)]), ("i...j,j...k", [(2, 5, 3), (3, 5, 4)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]), ("i...->i", [(2, 3, 4)]), ("...->", [(2, 3, 4)]), ("...", [(2, 3, 4)]),
    ("ij->...", [(2, 3)]), ("...ij->...ji", [(2, 3, 4, 5)]), ("i...,...i->...", [(3, 2), (2, 3)]),
    ("...,...->...", [(2, 1), (3,)]),
    # repeated letters: diagonals and traces
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("iji->ji", [(3, 2, 3)]), ("iii->i", [(3, 3, 3)]),
    ("iii", [(3, 3, 3)]), ("ii,ij->j", [(3, 3), (3, 4)]), ("...ii->...i", [(2, 3, 3)]), ("a...a->...", [(3, 2, 3)]),
    ("iijj->ij", [(2, 2, 3, 3)]), ("jiij->ji", [(2, 3, 3, 2)]),
    # size-1 dims broadcast; scalars; empty dims; several operands
    ("i,i->i", [(1,), (3,)]), ("ij,ij->ij", [(1, 3), (2, 1)]), ("", [()]), ("->", [()]), ("i->", [(0,)]),
    ("ij,ij,ij->", [(2, 3)] * 3), ("i,j", [(2,), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,kl->ijkl", [(2, 3), (4, 1)]), ("Ab,bA->A", [(2, 3), (3, 2)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_einsum_matches_torch(equation, shapes, dtype):
    pairs = [pair(s, dtype, seed=k, requires_grad=True) for k, s in enumerate(shapes)]
    out = ember.einsum(equation, *[p[0] for p in pairs])
    want = torch.einsum(equation, *[p[1] for p in pairs])
    assert_close(out, want)
    g, tg = pair(tuple(want.shape), dtype, seed=9)
    got = ember.autograd.grad(out, [p[0] for p in pairs], g)
    for e, t in zip(got, torch.autograd.grad(want, [p[1] for p in pairs], tg)):
        assert_close(e, t)


@pytest.mark.parametrize("equation,shapes", [("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
                                             ("ii->i", [(3, 3)]), ("iij,j->i", [(2, 2, 3), (3,)]),
                                             ("i,i->i", [(1,), (3,)]), ("...i,i->...", [(2, 3), (3,)])])
def test_einsum_gradcheck(equation, shapes):
    inputs = tuple(ember.randn(*s, dtype=F64, requires_grad=True) for s in shapes)
    assert ember.autograd.gradcheck(lambda *xs: ember.einsum(equation, *xs), inputs)
    assert ember.autograd.gradgradcheck(lambda *xs: ember.einsum(equation, *xs), inputs)


def test_einsum_sublist_and_list_forms():
    a, ta = pair((2, 3), F64, seed=1)
    b, tb = pair((3, 4), F64, seed=2)
    c, tc = pair((5, 2, 3), F64, seed=3)
    assert_close(ember.einsum(a, [0, 1], b, [1, 2], [0, 2]), torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2]))
    assert_close(ember.einsum(a, [0, 1], b, [1, 2]), torch.einsum(ta, [0, 1], tb, [1, 2]))
    assert_close(ember.einsum(a, [30, 0], b, [0, 51]), torch.einsum(ta, [30, 0], tb, [0, 51]))
    assert_close(ember.einsum(c, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 2]),
                 torch.einsum(tc, [Ellipsis, 0, 1], tb, [1, 2], [Ellipsis, 2]))
    assert_close(ember.einsum("ij,jk->ik", [a, b]), torch.einsum("ij,jk->ik", [ta, tb]))
    sq, tsq = pair((3, 3), F64, seed=4)
    assert_close(ember.einsum(sq, [7, 7]), torch.einsum(tsq, [7, 7]))
    assert_close(ember.einsum(sq, [7, 7], [7]), torch.einsum(tsq, [7, 7], [7]))
    with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
        ember.einsum(a, [0, 60])


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3)]), ("ij", [(2, 3), (3, 4)]), ("a,b,c", [(2,), (3,)]), ("ij->ii", [(2, 3)]),
    ("ij->k", [(2, 3)]), ("i1", [(2, 3)]), ("i.j", [(2, 3)]), ("...i...", [(2, 3)]), ("i..j", [(2, 3)]),
    ("...a.", [(2, 3)]), ("ab..", [(2, 3)]), ("i", [(2, 3)]), ("ijk", [(2, 3)]), ("ijk...", [(2, 3)]),
    ("ii", [(2, 3)]), ("i,i->i", [(2,), (3,)]), ("ij,jk->ik", [(2, 3), (4, 4)]), ("...i,...i->...", [(2, 2, 3), (4, 3)]),
    ("...,...", [(2,), (3,)]), ("i...,i...", [(2, 5), (2, 3)]), ("ij->j->i", [(2, 3)]), ("ij-", [(2, 3)]),
    ("ij>", [(2, 3)]), ("ij->i...", [(2, 3, 4)]), ("ii->ii", [(3, 3)]), ("ab->..", [(2, 3)]), ("ab->...a...", [(2, 3)]),
    ("ab->a.b", [(2, 3)]), ("\u00e4", [(2,)]),
])
def test_einsum_errors_match_torch(equation, shapes):
    same_error(lambda m: m.einsum(equation, *[m.ones(*s) for s in shapes]))


def test_einsum_dtype_mismatch():
    same_error(lambda m: m.einsum("ij,jk->ik", m.ones(2, 3), m.ones(3, 4, dtype=m.float64)))


# ---------------------------------------------------------------- CUDA (skipped without a GPU)

@pytest.mark.gpu
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("dtype", [F32, F64, I64])
def test_scatter_reduce_cuda_matches_cpu(reduce, dtype):
    x, _ = pair((4, 5), dtype, seed=1, ints=True)
    s, _ = pair((6, 5), dtype, seed=2, ints=True)
    i, _ = scatter_index((4, 5), 0, (6, 5))
    for include_self in (True, False):
        got = x.cuda().scatter_reduce(0, i.cuda(), s.cuda(), reduce, include_self=include_self)
        want = x.scatter_reduce(0, i, s, reduce, include_self=include_self)
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-6)
    # unique positions: scatter is the same whichever thread writes
    idx = ember.tensor(np.argsort(np.random.default_rng(0).random((4, 5)), axis=0))
    assert x.cuda().scatter(0, idx.cuda(), s[:4].cuda()).cpu().tolist() == x.scatter(0, idx, s[:4]).tolist()
    e = ember.tensor([-0.0, 0.0], dtype=F32).cuda()
    assert signs(e.abs().cpu()) == [1.0, 1.0] and signs(e.max().cpu()) == [1.0] and signs(e.amax().cpu()) == [-1.0]


OUT_OF_RANGE = [
    lambda L: L.zeros(3).index_add(0, L.tensor([5]), L.ones(1)),
    lambda L: L.zeros(3, 2).index_add(0, L.tensor([5]), L.ones(1, 2)),
    lambda L: L.zeros(3).index_copy(0, L.tensor([5]), L.ones(1)),
    lambda L: L.zeros(2, 4).index_fill(1, L.tensor([5]), 1.0),
    lambda L: L.zeros(2, 4).scatter(1, L.tensor([[5]]), 1.0),
    lambda L: L.zeros(2).scatter_reduce(0, L.tensor([5]), L.ones(1), "sum"),
    lambda L: L.zeros(3).gather(0, L.tensor([5])),
    lambda L: L.zeros(3).scatter_add(0, L.tensor([5]), L.ones(1)),
    lambda L: L.zeros(3).index_select(0, L.tensor([5])),
]


@pytest.mark.parametrize("k", range(len(OUT_OF_RANGE)))
def test_index_out_of_range_raises_torchs_error_type(k):
    with pytest.raises((IndexError, RuntimeError)) as t_err:
        OUT_OF_RANGE[k](torch)
    with pytest.raises(t_err.type):
        OUT_OF_RANGE[k](ember)
