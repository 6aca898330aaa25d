"""Cumulative ops, prod, the sort family, searchsorted/bucketize and multinomial vs PyTorch:
values, indices and gradients (float32 and float64) on 1-D, 2-D along each dim, non-contiguous,
0-d and empty inputs, with NaN and ties; gradcheck in float64; the error paths; multinomial's
distribution (a chi-square test at a fixed seed) and reproducibility."""
import math

import numpy as np
import pytest

import ember
from conftest import assert_close, torch

DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}

# name -> fn(x) written once for both libraries; `tie_safe` ops may run on inputs with ties and
# NaN (their indices are specified: a stable sort, scans, prod).
OPS = {
    "cumsum0": (lambda x: x.cumsum(0), True),
    "cumsum_neg": (lambda x: torch_or_ember(x).cumsum(x, -1), True),
    "cumprod0": (lambda x: x.cumprod(0), True),
    "cumprod_neg": (lambda x: x.cumprod(-1), True),
    "logcumsumexp": (lambda x: x.logcumsumexp(-1), True),
    "logcumsumexp0": (lambda x: torch_or_ember(x).logcumsumexp(x, 0), True),
    "prod_all": (lambda x: x.prod(), True),
    "prod_dim": (lambda x: x.prod(0), True),
    "prod_keep": (lambda x: torch_or_ember(x).prod(x, -1, keepdim=True), True),
    "sort_stable": (lambda x: x.sort(stable=True), True),
    "sort_desc_stable": (lambda x: torch_or_ember(x).sort(x, dim=0, descending=True, stable=True), True),
    "argsort_stable": (lambda x: x.argsort(dim=-1, stable=True), True),
    "argsort_desc": (lambda x: torch_or_ember(x).argsort(x, dim=0, descending=True, stable=True), True),
    "msort": (lambda x: torch_or_ember(x).msort(x), True),
    "sort_default": (lambda x: x.sort(), False),
    "topk": (lambda x: x.topk(min(2, x.shape[-1] if x.dim() else 1)), False),
    "topk_smallest_dim0": (lambda x: torch_or_ember(x).topk(x, min(3, x.shape[0] if x.dim() else 1), dim=0,
                                                            largest=False), False),
    "kthvalue": (lambda x: x.kthvalue(1 if x.dim() == 0 else (x.shape[-1] + 1) // 2), False),
    "kthvalue_keep0": (lambda x: torch_or_ember(x).kthvalue(x, 1, 0, keepdim=True), False),
    "median_all": (lambda x: x.median(), False),
    "median_dim": (lambda x: x.median(-1), False),
    "median_keep0": (lambda x: torch_or_ember(x).median(x, 0, keepdim=True), False),
}
SHAPES = [(7,), (4, 5), "t(5, 4)", (), (1,), (3, 1), (2, 3, 4)]


def torch_or_ember(x):
    return torch if isinstance(x, torch.Tensor) else ember


def make(shape, dtype, kind, seed=0):
    rng = np.random.default_rng(seed)
    transposed = isinstance(shape, str)
    if transposed:
        shape = tuple(int(s) for s in shape[2:-1].split(","))[::-1]
    a = rng.standard_normal(shape)
    if kind == "ties":
        a = np.round(a * 1.5)
    elif kind == "nan" and a.size:
        a.flat[rng.integers(0, a.size, size=max(1, a.size // 4))] = np.nan
    elif kind == "zeros" and a.size:
        a.flat[rng.integers(0, a.size, size=max(1, a.size // 4))] = 0.0
    a = a.astype(NP[dtype])
    le = ember.tensor(a, requires_grad=True)
    lt = torch.from_numpy(a.copy()).requires_grad_()
    if transposed:
        return le, lt, le.t(), lt.t()
    return le, lt, le, lt


def outputs(r):
    return list(r) if isinstance(r, tuple) else [r]


def check_op(fn, shape, dtype, kind):
    le, lt, xe, xt = make(shape, dtype, kind)
    re, rt = outputs(fn(xe)), outputs(fn(xt))
    assert len(re) == len(rt)
    for e, t in zip(re, rt):
        assert_close(e, t, equal_nan=True)
    floats = [(e, t) for e, t in zip(re, rt) if e.dtype in DTYPES and e.requires_grad]
    if not floats:
        return
    e, t = floats[0]
    g = np.random.default_rng(3).standard_normal(tuple(t.shape)).astype(NP[dtype])
    e.backward(ember.tensor(g))
    t.backward(torch.from_numpy(g))
    assert_close(le.grad, lt.grad, equal_nan=True, rtol=1e-4 if dtype == ember.float32 else 1e-9, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", OPS)
def test_against_torch(name, shape, dtype):
    check_op(OPS[name][0], shape, dtype, "normal")


MIDDLE = {
    "sort": lambda x: x.sort(dim=1, stable=True), "topk": lambda x: x.topk(2, 1, largest=False),
    "median_keep": lambda x: x.median(1, keepdim=True), "kthvalue": lambda x: x.kthvalue(2, -2),
    "cumprod": lambda x: x.cumprod(1), "logcumsumexp": lambda x: x.logcumsumexp(-2), "prod": lambda x: x.prod(1),
    "cumsum": lambda x: x.cumsum(1),
}


@pytest.mark.parametrize("name", MIDDLE)
def test_middle_dim_of_3d(name):
    """A dim that is neither first nor last: the row kernels see it moved last and back."""
    check_op(MIDDLE[name], (3, 4, 5), ember.float64, "normal")


@pytest.mark.parametrize("kind", ["ties", "nan", "zeros"])
@pytest.mark.parametrize("shape", [(9,), (4, 6), "t(6, 4)"], ids=str)
@pytest.mark.parametrize("name", [n for n, (_, safe) in OPS.items() if safe])
def test_ties_nan_zeros(name, shape, kind):
    if kind == "nan" and name.startswith(("cumprod", "prod")):
        pass  # NaN propagates through the products and their gradients as in PyTorch: still compared
    check_op(OPS[name][0], shape, ember.float64, kind)


@pytest.mark.parametrize("name", ["kthvalue", "median_dim", "median_all"])
def test_nan_picks(name):
    """NaN sorts as the largest: kthvalue/median return it (the first NaN, as torch)."""
    check_op(OPS[name][0], (9,), ember.float64, "nan")
    check_op(OPS[name][0], (4, 6), ember.float64, "nan")


@pytest.mark.parametrize("largest", [True, False])
def test_topk_nan_and_ties(largest):
    """topk takes NaN first (largest) or last; among equal values torch's choice of indices is
    unspecified, so the values are compared and the indices checked to point at them."""
    for kind in ["nan", "ties"]:
        _, _, xe, xt = make((4, 6), ember.float64, kind)
        ve, ie = xe.topk(3, largest=largest)
        vt, _ = xt.topk(3, largest=largest)
        assert_close(ve, vt, equal_nan=True)
        assert_close(xe.gather(1, ie), vt, equal_nan=True)
        assert all(len(set(row)) == 3 for row in ie.tolist())


@pytest.mark.parametrize("name", ["cumsum0", "cumprod_neg", "logcumsumexp", "prod_all", "prod_dim", "sort_stable",
                                  "topk", "kthvalue", "median_dim", "median_all"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)], ids=str)
def test_empty(name, shape):
    fn = OPS[name][0]
    xt = torch.zeros(shape, dtype=torch.float64)
    xe = ember.zeros(shape, dtype=ember.float64)
    try:
        rt = fn(xt)
    except Exception as exc:  # the same error type where PyTorch refuses (median/kthvalue of nothing)
        with pytest.raises(type(exc)):
            fn(xe)
        return
    for e, t in zip(outputs(fn(xe)), outputs(rt)):
        assert_close(e, t, equal_nan=True)


@pytest.mark.parametrize("name", ["cumsum0", "cumprod_neg", "logcumsumexp", "prod_all", "prod_dim", "prod_keep",
                                  "sort_stable", "topk", "kthvalue", "median_dim", "median_all"])
def test_gradcheck(name):
    x = ember.tensor(np.random.default_rng(5).standard_normal((3, 4)), requires_grad=True)
    fn = OPS[name][0]
    assert ember.autograd.gradcheck(lambda t: outputs(fn(t))[0], (x,))


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.0], [0.0, 1.5, -2.0, 4.0], [1.5, -2.0, 0.0, 4.0]])
def test_zeros_in_products_gradcheck(values):
    x = ember.tensor(values, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: t.cumprod(0), (x,))
    assert ember.autograd.gradcheck(lambda t: t.prod(), (x,))
    x2 = ember.tensor([values, values[::-1]], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: t.cumprod(1), (x2,))
    assert ember.autograd.gradcheck(lambda t: t.prod(1), (x2,))


def test_double_backward_cumsum_cumprod():
    for fn in [lambda t: (t.cumprod(0) ** 2).sum(), lambda t: (t.cumsum(0) * t).sum(), lambda t: t.prod() * t.sum(),
               lambda t: (t.logcumsumexp(0) * t.new_tensor([1.0, -2.0, 0.5])).sum()]:  # g of both signs
        xe = ember.tensor([1.5, -0.5, 2.0], dtype=ember.float64, requires_grad=True)
        xt = torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
        (ge,) = ember.autograd.grad(fn(xe), xe, create_graph=True)
        (gt,) = torch.autograd.grad(fn(xt), xt, create_graph=True)
        assert_close(ge, gt)
        (hh_e,) = ember.autograd.grad(ge.sum(), xe)
        (hh_t,) = torch.autograd.grad(gt.sum(), xt)
        assert_close(hh_e, hh_t)


# ---- dtypes and signatures

@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_and_bool_inputs(dtype):
    a = np.array([[3, 0, 2], [1, 1, 5]], dtype=np.int64)
    if dtype == "bool":
        a = a % 2 == 1
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    for fn in [lambda x: x.cumsum(1), lambda x: x.cumprod(0), lambda x: x.prod(), lambda x: x.prod(1, keepdim=True),
               lambda x: x.sort(dim=1, stable=True), lambda x: x.argsort(dim=0, descending=True, stable=True),
               lambda x: x.cumsum(0, dtype=TORCH_OR_EMBER_F64[type(x) is torch.Tensor]),
               lambda x: x.prod(dtype=TORCH_OR_EMBER_F64[type(x) is torch.Tensor])]:
        for e, t in zip(outputs(fn(xe)), outputs(fn(xt))):
            assert_close(e, t)
    if dtype == "int64":
        for fn in [lambda x: x.topk(2), lambda x: x.kthvalue(1, 0), lambda x: x.median(), lambda x: x.msort()]:
            re, rt = outputs(fn(ember.tensor([4, 9, -2, 7]))), outputs(fn(torch.tensor([4, 9, -2, 7])))
            for e, t in zip(re, rt):
                assert_close(e, t)


TORCH_OR_EMBER_F64 = {True: torch.float64, False: ember.float64}


def testreturn_types_and_keywords():
    x = ember.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    r = ember.sort(x, dim=1, descending=True, stable=True)
    assert type(r).__name__ == "sort" and type(r).__module__ == "ember.return_types"
    values, indices = r
    assert values is r.values and indices is r.indices
    assert type(x.topk(1)).__name__ == "topk" and type(x.kthvalue(1)).__name__ == "kthvalue"
    assert type(x.median(0)).__name__ == "median"
    assert ember.topk(x, k=2, dim=0, largest=False, sorted=True).indices.tolist() == [[1, 0, 0], [0, 1, 1]]
    assert ember.cumsum(x, dim=1, dtype=ember.float64).dtype == ember.float64
    assert ember.prod(x, 1, True, dtype=ember.float64).shape == (2, 1)
    with pytest.raises(TypeError):
        ember.sort(x, 0, False, True)  # stable is keyword-only, as in torch
    assert ember.argsort(x, 0, True).tolist() == torch.argsort(torch.tensor(x.tolist()), 0, True).tolist()


def test_cumsum_inplace():
    xe = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    xt = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert xe.cumsum_(1) is xe
    xt.cumsum_(1)
    assert_close(xe, xt)
    ye = ember.ones(3, requires_grad=True) * 2
    yt = torch.ones(3, requires_grad=True) * 2
    ye.cumsum_(0).sum().backward()
    yt.cumsum_(0).sum().backward()
    with pytest.raises(RuntimeError, match="should match"):
        ember.zeros(2, 3).cumsum_(1, dtype=ember.float64)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.ones(3, requires_grad=True).cumsum_(0)


def test_errors():
    x = ember.tensor([3.0, 1.0, 2.0])
    cases = [
        (lambda m, x: m.cumsum(x, 1), IndexError, None),
        (lambda m, x: x.topk(4), RuntimeError, "selected index k out of range"),
        (lambda m, x: x.topk(-1), RuntimeError, "selected index k out of range"),
        (lambda m, x: x.kthvalue(4), RuntimeError, "selected number k out of range"),
        (lambda m, x: x.kthvalue(0), RuntimeError, "selected number k out of range"),
        (lambda m, x: m.zeros(2, 0).median(1), IndexError, "Expected reduction dim 1 to have non-zero size"),
        (lambda m, x: m.zeros(2, 0).kthvalue(1, 1), IndexError, "Expected reduction dim 1 to have non-zero size"),
        (lambda m, x: m.tensor([True, False]).topk(1), RuntimeError, "topk does not support bool"),
        (lambda m, x: m.tensor([True, False]).median(), NotImplementedError, "not implemented for 'Bool'"),
        (lambda m, x: m.logcumsumexp(m.tensor([1, 2]), 0), NotImplementedError, None),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc):
            fn(torch, torch.tensor([3.0, 1.0, 2.0]))
        with pytest.raises(exc, match=msg):
            fn(ember, x)


# ---- searchsorted and bucketize

@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("dtype", DTYPES + [ember.int64], ids=str)
def test_searchsorted(right, dtype):
    rng = np.random.default_rng(0)
    npd = {ember.float32: np.float32, ember.float64: np.float64, ember.int64: np.int64}[dtype]
    seq = np.sort(np.round(rng.standard_normal(11) * 3)).astype(npd)  # with repeats
    vals = np.round(rng.standard_normal((3, 4)) * 3).astype(npd)
    for s, v in [(seq, vals), (np.sort(np.round(rng.standard_normal((3, 7)) * 3), axis=1).astype(npd), vals)]:
        e = ember.searchsorted(ember.tensor(s), ember.tensor(v), right=right)
        t = torch.searchsorted(torch.from_numpy(s), torch.from_numpy(v), right=right)
        assert_close(e, t)
        e = ember.searchsorted(ember.tensor(s), ember.tensor(v), side="right" if right else "left")
        assert_close(e, t)
    e = ember.bucketize(ember.tensor(vals), ember.tensor(seq), right=right)
    assert_close(e, torch.bucketize(torch.from_numpy(vals), torch.from_numpy(seq), right=right))


def test_searchsorted_edges():
    seq = [1.0, 2.0, 2.0, 3.0, float("nan")]
    vals = [float("nan"), 2.0, 0.0, 9.0, -float("inf")]
    for right in [False, True]:
        assert_close(ember.searchsorted(ember.tensor(seq), ember.tensor(vals), right=right),
                     torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right))
    assert_close(ember.searchsorted(ember.tensor([1.0, 2.0]), 1.5), torch.searchsorted(torch.tensor([1.0, 2.0]), 1.5))
    assert_close(ember.bucketize(3, ember.tensor([1.0, 2.0])), torch.bucketize(3, torch.tensor([1.0, 2.0])))
    assert_close(ember.searchsorted(ember.tensor([1.0, 2.0]), ember.tensor([1, 2])),
                 torch.searchsorted(torch.tensor([1.0, 2.0]), torch.tensor([1, 2])))
    unsorted = ember.tensor([3.0, 1.0, 2.0])
    sorter = ember.argsort(unsorted)
    assert ember.searchsorted(unsorted, ember.tensor([1.5, 2.5]), sorter=sorter).tolist() == [1, 2]
    assert ember.searchsorted(ember.tensor([1.0]), ember.zeros(0)).shape == (0,)
    # out_int32: int32 positions, as torch (tests/test_int32.py compares dtypes).
    assert ember.searchsorted(ember.tensor([1.0, 2.0]), ember.tensor([1.5]), out_int32=True).tolist() == [1]
    errors = [
        (lambda m: m.searchsorted(m.tensor([[1.0, 2.0]]), m.tensor([1.5, 2.0])), "first N-1 dimensions"),
        (lambda m: m.searchsorted(m.tensor(1.0), m.tensor([1.0])), "positive dimension"),
        (lambda m: m.searchsorted(m.tensor([1.0]), m.tensor([1.0]), side="left", right=True), "opposites"),
        (lambda m: m.searchsorted(m.tensor([1.0]), m.tensor([1.0]), side="foo"), "'left' or 'right'"),
        (lambda m: m.bucketize(m.tensor([1.0]), m.tensor([[1.0, 2.0]])), "must be 1 dimension"),
    ]
    for fn, msg in errors:
        with pytest.raises(RuntimeError, match=msg):
            fn(torch)
        with pytest.raises(RuntimeError, match=msg):
            fn(ember)


# ---- multinomial

def chi_square_ok(counts, probs):
    """Pearson's chi-square statistic below the 0.999 quantile (Wilson-Hilferty) for len-1 dof."""
    n = counts.sum()
    expected = n * probs / probs.sum()
    keep = expected > 0
    assert counts[~keep].sum() == 0, "a zero-probability category was drawn"
    stat = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    k = keep.sum() - 1
    z = 3.09
    limit = k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3
    return stat < limit, (stat, limit)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_multinomial_with_replacement_distribution(dtype):
    probs = np.array([0.1, 0.0, 0.3, 0.05, 0.55, 0.0, 1.0])
    g = ember.Generator().manual_seed(1234)
    draws = ember.multinomial(ember.tensor(probs, dtype=dtype), 40000, replacement=True, generator=g)
    assert draws.dtype == ember.int64 and draws.shape == (40000,)
    ok, info = chi_square_ok(np.bincount(draws.numpy(), minlength=len(probs)), probs)
    assert ok, info


def test_multinomial_without_replacement_distribution():
    """Each category's chance of being drawn first is p_i; of being drawn at all in k draws,
    compared with the exact frequencies of the sequential scheme computed by enumeration."""
    probs = np.array([0.5, 0.2, 0.2, 0.1, 0.0])
    rows = 20000
    p2 = ember.tensor(np.tile(probs, (rows, 1)))
    draws = ember.multinomial(p2, 2, generator=ember.Generator().manual_seed(7)).numpy()
    assert draws.shape == (rows, 2)
    assert (draws[:, 0] != draws[:, 1]).all()
    ok, info = chi_square_ok(np.bincount(draws[:, 0], minlength=5), probs)
    assert ok, info
    second = np.zeros(5)  # P(second = j) = sum_i p_i p_j / (1 - p_i)
    for i in range(5):
        for j in range(5):
            if i != j:
                second[j] += probs[i] * probs[j] / (1 - probs[i])
    ok, info = chi_square_ok(np.bincount(draws[:, 1], minlength=5), second)
    assert ok, info


def test_multinomial_reproducible_and_shapes():
    p = ember.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    a = ember.multinomial(p, 3, generator=ember.Generator().manual_seed(3))
    b = p.multinomial(3, generator=ember.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and a.shape == (2, 3)
    assert sorted(a[0].tolist()) == [0, 1, 2]
    assert a[1].tolist()[0] == 0
    ember.manual_seed(5)
    c = ember.multinomial(p, 4, True)
    ember.manual_seed(5)
    assert ember.multinomial(p, 4, True).tolist() == c.tolist()
    assert c[1].tolist() == [0, 0, 0, 0]
    # Not enough nonzero categories without replacement: the zero ones follow, as in torch.
    assert ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 2).tolist() == [1, 0]
    assert ember.multinomial(ember.ones(0, 3), 2).shape == (0, 2)


@pytest.mark.parametrize("args,msg", [
    (([-1.0, 1.0], 1), "`inf`, `nan` or element < 0"),
    (([float("nan"), 1.0], 1), "`inf`, `nan` or element < 0"),
    (([float("inf"), 1.0], 1), "`inf`, `nan` or element < 0"),
    (([0.0, 0.0], 1), r"sum of probabilities <= 0"),
    (([0.2, 0.8], 3), "without replacement"),
    (([0.2, 0.8], 0), "n_sample <= 0"),
    ((2.0, 1), "1 or 2 dim"),
])
def test_multinomial_errors(args, msg):
    probs, n = args
    with pytest.raises(RuntimeError, match=msg):
        torch.multinomial(torch.tensor(probs), n)
    with pytest.raises(RuntimeError, match=msg):
        ember.multinomial(ember.tensor(probs), n)
    with pytest.raises(RuntimeError, match="floating-point"):
        ember.multinomial(ember.tensor([1, 2]), 1)
