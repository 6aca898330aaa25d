"""The PyTorch spellings scripts rely on, against torch: ember.Size, finfo/iinfo, the legacy
ember.Tensor(...) constructor, .data assignment, __format__/__contains__, range and NumPy indices,
NumPy's axis=/keepdims= spellings, the torch.* function forms and the composite ops (flip, roll,
tril/triu, diag, outer, dot, addmm, baddbmm, tensordot, einsum, meshgrid, repeat, unbind,
masked_fill) with their gradients."""
import copy
import pickle
import warnings

import numpy as np
import pytest
from conftest import torch

import ember


def _pair(shape, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _same(e, t, tol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def test_size_behaves_like_torch_size():
    x, tx = ember.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert isinstance(x.shape, ember.Size) and isinstance(x.size(), ember.Size) and isinstance(x.shape, tuple)
    assert x.shape == tx.shape == (2, 3, 4) and x.shape.numel() == tx.shape.numel() == 24
    assert isinstance(x.shape[1:], ember.Size) and x.shape[1:] == (3, 4) and x.shape[-1] == 4
    assert repr(x.shape) == "ember.Size([2, 3, 4])" and repr(ember.zeros(()).shape) == "ember.Size([])"
    assert isinstance(x.shape + (5,), ember.Size) and ember.Size([2, 3]).numel() == 6
    assert pickle.loads(pickle.dumps(x.shape)) == x.shape and copy.deepcopy(x.shape) == x.shape
    with pytest.raises(TypeError):
        ember.Size([2, "a"])
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ember.tensor(1.0).size(0)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ember.tensor(1.0).stride(0)


def test_finfo_and_iinfo_match_torch():
    for dt, tdt in [(ember.float32, torch.float32), (ember.float64, torch.float64)]:
        e, t = ember.finfo(dt), torch.finfo(tdt)
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(e, field) == getattr(t, field), field
    assert ember.finfo().eps == torch.finfo().eps
    e, t = ember.iinfo(ember.int64), torch.iinfo(torch.int64)
    assert (e.bits, e.max, e.min) == (t.bits, t.max, t.min)
    with pytest.raises(TypeError):
        ember.finfo(ember.int64)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)


def test_legacy_tensor_constructor_matches_torch():
    for args in [([1, 2],), ([[1.5], [2.5]],), (np.arange(3),)]:
        e, t = ember.Tensor(*args), torch.Tensor(*args)
        assert e.dtype == ember.float32 and e.tolist() == t.tolist() and type(e) is ember.Tensor
    assert ember.Tensor(2, 3).shape == torch.Tensor(2, 3).shape
    assert ember.Tensor(ember.Size([4])).shape == (4,)
    assert ember.Tensor().shape == torch.Tensor().shape == (0,)
    for bad, kind in [((3.5,), TypeError), (("a",), TypeError)]:
        with pytest.raises(kind):
            torch.Tensor(*bad)
        with pytest.raises(kind, match="new"):
            ember.Tensor(*bad)


def test_data_assignment_aliases_like_torch():
    for lib in (ember, torch):
        x = lib.zeros(3, requires_grad=True)
        y = lib.ones(2)
        x.data = y
        y.add_(1)
        assert x.tolist() == [2.0, 2.0] and x.requires_grad and x.is_leaf
        with pytest.raises(RuntimeError, match="must be floating point"):
            x.data = lib.zeros(2, dtype=lib.int64)
    # the micrograd-style update: w.data += -lr * w.grad
    w, tw = _pair((3,))
    for v in (w, tw):
        (v * v).sum().backward()
        v.data += -0.1 * v.grad
    _same(w, tw)
    p = ember.nn.Parameter(ember.ones(2))
    p.data = ember.zeros(4)
    assert p.shape == (4,) and isinstance(p, ember.nn.Parameter)


def test_format_and_contains_match_torch():
    for lib in (ember, torch):
        assert "{:+.2f}".format(lib.tensor(3.14159)) == "+3.14" and f"{lib.tensor(2):03d}" == "002"
        assert format(lib.ones(2), "") == str(lib.ones(2))
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
            format(lib.ones(2), ".2f")
        assert 2.0 in lib.arange(3.0) and lib.tensor(1) in lib.arange(3) and 7 not in lib.arange(3)
        with pytest.raises(RuntimeError, match="Tensor.__contains__ only supports Tensor or scalar"):
            "a" in lib.ones(2)
    x = ember.ones(2, 3)
    assert x.nbytes == torch.ones(2, 3).nbytes == 24 and x.itemsize == 4 and x.type() == "ember.FloatTensor"
    assert x.type(ember.float64).dtype == ember.float64


def test_range_and_numpy_indices():
    x, tx = ember.arange(12).reshape(3, 4), torch.arange(12).reshape(3, 4)
    assert x[range(3), [0, 1, 2]].tolist() == tx[range(3), [0, 1, 2]].tolist()
    assert x[np.array([2, 0])].tolist() == tx[np.array([2, 0])].tolist()
    x[range(2), 0] = -1
    assert x[:, 0].tolist() == [-1, -1, 8]


def test_numpy_spellings_of_dim_and_keepdim():
    x, tx = _pair((3, 4))
    for e, t in [(x.sum(1, keepdims=True), tx.sum(1, keepdims=True)), (x.sum(axis=0), tx.sum(axis=0)),
                 (x.mean(axis=1, keepdims=True), tx.mean(axis=1, keepdims=True)),
                 (ember.sum(x, axis=1), torch.sum(tx, axis=1)), (x.amax(axis=0), tx.amax(axis=0)),
                 (x.argmax(axis=1), tx.argmax(axis=1)), (x.var(axis=1), tx.var(axis=1)),
                 (ember.sum(x), torch.sum(tx))]:
        assert tuple(e.shape) == tuple(t.shape)
        _same(e, t)


@pytest.mark.parametrize("name,args", [
    ("reshape", ((4, 3),)), ("flatten", ()), ("unsqueeze", (1,)), ("transpose", (0, 1)), ("swapaxes", (0, 1)),
    ("permute", ((1, 0),)), ("t", ()), ("flip", ((0, 1),)), ("roll", (2, 1)), ("roll", ((1, -1), (0, 1))),
    ("roll", (5,)), ("tril", ()), ("tril", (-1,)), ("triu", (1,)), ("diag", ()), ("diag", (-1,)),
    ("broadcast_to", ((2, 3, 4),)), ("squeeze", ()),
])
def test_function_forms_and_composites_match_torch(name, args):
    x, tx = _pair((3, 4))
    e, t = getattr(ember, name)(x, *args), getattr(torch, name)(tx, *args)
    assert tuple(e.shape) == tuple(t.shape)
    _same(e, t)
    g = np.random.default_rng(1).standard_normal(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    _same(x.grad, tx.grad)


def test_composites_as_methods_and_their_gradcheck():
    x, tx = _pair((3, 4))
    v, tv = _pair((4,), seed=2)
    for e, t in [(x.flip(1), tx.flip(1)), (x.roll(1, 0), tx.roll(1, 0)), (x.tril(), tx.tril()),
                 (v.diag(1), tv.diag(1)), (v.outer(v), tv.outer(tv)), (v.dot(v), tv.dot(tv)),
                 (x.mv(v), tx.mv(tv)), (x.repeat(2, 1, 2), tx.repeat(2, 1, 2)), (x.unbind(1)[2], tx.unbind(1)[2]),
                 (x.masked_fill(x > 0, -1.0), tx.masked_fill(tx > 0, -1.0)), (ember.unbind(x)[0], torch.unbind(tx)[0])]:
        assert tuple(e.shape) == tuple(t.shape)
        _same(e, t)
    for fn in [lambda a: ember.diag(a, 1), lambda a: a.repeat(2, 3), lambda a: ember.outer(a, a * 2),
               lambda a: a.flip(0).roll(1, 0)]:
        assert ember.autograd.gradcheck(fn, (ember.tensor([0.3, -1.2, 2.0], dtype=ember.float64, requires_grad=True),))


def test_copying_composites_never_alias_their_input():
    """flip, roll and repeat copy, as torch's, also where a view could express the result."""
    for fn in [lambda x: x.flip(()), lambda x: x.flip(0), lambda x: x.roll(4, 0), lambda x: x.roll(0),
               lambda x: x.repeat(1), lambda x: x.repeat(3), lambda x: x[0].roll(1), lambda x: x[0].flip(0)]:
        for lib in (ember, torch):
            x = lib.tensor([2.0])
            y = fn(x)
            x.fill_(7.0)
            assert y.tolist() in (2.0, [2.0], [2.0, 2.0, 2.0]), (lib.__name__, y)


def test_squeeze_dims_and_swap_methods():
    x, tx = _pair((1, 3, 1, 2))
    for fn in [lambda a: a.squeeze((0, 2)), lambda a: a.squeeze((1, -1)), lambda a: a.squeeze(()),
               lambda a: a[0, 0, 0, 0].squeeze((0,)), lambda a: a.swapaxes(1, 3), lambda a: a.swapdims(0, -1)]:
        _same(fn(x), fn(tx))
        assert tuple(fn(x).shape) == tuple(fn(tx).shape)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.squeeze((0, -4))


def test_top_level_embedding_takes_the_weight_first():
    """torch.embedding(weight, indices, padding_idx=-1, ...), unlike F.embedding(indices, weight)."""
    w, tw = _pair((5, 3))
    i = [[0, 4], [2, 2]]
    _same(ember.embedding(w, ember.tensor(i)), torch.embedding(tw, torch.tensor(i)))
    _same(ember.embedding(w, ember.tensor(i), 2), torch.embedding(tw, torch.tensor(i), 2))


def test_where_method():
    x, tx = _pair((3, 4))
    _same(x.where(x > 0, -1.0), tx.where(tx > 0, -1.0))
    _same(x.where(x < 0.5, x.t().sum(1)), tx.where(tx < 0.5, tx.t().sum(1)))


def test_matrix_products_with_scales_match_torch():
    m, tm = _pair((2, 3))
    a, ta = _pair((2, 4), seed=1)
    b, tb = _pair((4, 3), seed=2)
    _same(ember.addmm(m, a, b, beta=0.5, alpha=2.0), torch.addmm(tm, ta, tb, beta=0.5, alpha=2.0))
    nan = ember.full((2, 3), float("nan"), dtype=ember.float64)
    assert not np.isnan(ember.addmm(nan, a, b, beta=0).detach().numpy()).any()  # beta = 0 ignores input
    bi, tbi = _pair((5, 2, 3))
    b1, tb1 = _pair((5, 2, 4), seed=3)
    b2, tb2 = _pair((5, 4, 3), seed=4)
    _same(ember.baddbmm(bi, b1, b2, alpha=0.5), torch.baddbmm(tbi, tb1, tb2, alpha=0.5))
    _same(ember.addbmm(m, b1, b2), torch.addbmm(tm, tb1, tb2))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        ember.dot(m, ember.ones(3))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        ember.outer(m, ember.ones(3))


@pytest.mark.parametrize("dims,b_shape", [(2, (3, 4, 5)), (1, (4, 5)), (0, (2,)), (([1, 0], [0, 2]), (3, 5, 2)),
                                          (([2], [1]), (5, 4, 2))])
def test_tensordot_matches_torch(dims, b_shape):
    a, ta = _pair((2, 3, 4))
    b, tb = _pair(b_shape, seed=3)
    e, t = ember.tensordot(a, b, dims), torch.tensordot(ta, tb, dims)
    _same(e, t)
    e.sum().backward()
    t.sum().backward()
    _same(a.grad, ta.grad)
    _same(b.grad, tb.grad)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (2,)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,kj", [(2, 3), (4, 3)]), ("abc,cd->abd", [(2, 3, 4), (4, 2)]),
])
def test_einsum_matches_torch(equation, shapes):
    pairs = [_pair(s, seed=i) for i, s in enumerate(shapes)]
    e = ember.einsum(equation, *[p[0] for p in pairs])
    t = torch.einsum(equation, *[p[1] for p in pairs])
    assert tuple(e.shape) == tuple(t.shape)
    _same(e, t)
    e.sum().backward()
    t.sum().backward()
    for (x, tx) in pairs:
        _same(x.grad, tx.grad)


def test_einsum_errors():
    with pytest.raises(RuntimeError, match="number of subscripts"):
        ember.einsum("ij,jk->ik", ember.ones(2, 3), ember.ones(3))
    with pytest.raises(RuntimeError, match="subscript j has size 4 for operand 1 which does not broadcast"):
        ember.einsum("ij,jk->ik", ember.ones(2, 3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match"):
        ember.einsum("ii->i", ember.ones(2, 3))  # a repeated letter is a diagonal (tests/test_einsum_scatter.py)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing):
    a, b, c = ember.arange(2), ember.arange(3), ember.arange(4)
    ta, tb, tc = torch.arange(2), torch.arange(3), torch.arange(4)
    for e, t in zip(ember.meshgrid(a, b, c, indexing=indexing), torch.meshgrid(ta, tb, tc, indexing=indexing)):
        assert e.tolist() == t.tolist()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.meshgrid(a, b)
    assert any("indexing" in str(w.message) for w in caught)


def test_small_function_forms():
    x = ember.zeros(2, 3)
    assert ember.numel(x) == 6 and ember.is_floating_point(x) and not ember.is_floating_point(ember.arange(2))
    assert ember.is_nonzero(ember.tensor([1.0])) and not ember.is_nonzero(ember.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        ember.is_nonzero(ember.ones(2))
    assert x.new_zeros(2).dtype == ember.float32 and x.new_ones((1, 2)).shape == (1, 2)
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == ember.float32
    assert x.new_empty(3).shape == (3,) and ember.arange(3).new_tensor([1.5]).dtype == ember.int64
    with pytest.raises(RuntimeError, match="repeat dims can not be smaller"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="boolean masks"):
        x.masked_fill(ember.ones(2, 3), 1.0)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.norm(), lambda lib, x: x.norm(p=1, dim=1), lambda lib, x: x.norm(p=3, dim=0, keepdim=True),
    lambda lib, x: lib.norm(x, p=float("inf"), dim=1), lambda lib, x: x.norm(p="fro"),
    lambda lib, x: lib.logsumexp(x, 1), lambda lib, x: x.logsumexp((0, 1), keepdim=True),
    lambda lib, x: lib.cdist(x, x[:2] * 0.5), lambda lib, x: x.masked_select(x > 0),
    lambda lib, x: x.repeat_interleave(2, dim=1), lambda lib, x: x.repeat_interleave(lib.tensor([1, 0, 2]), dim=0),
    lambda lib, x: x.scatter(1, lib.tensor([[0, 2], [1, 0], [3, 1]]), x[:, :2] * 3),
    lambda lib, x: lib.scatter(x, 0, lib.tensor([[2, 0, 1, 1]]), 7.0),
])
def test_more_composites_match_torch_with_gradients(call):
    x, tx = _pair((3, 4), seed=5)
    e, t = call(ember, x), call(torch, tx)
    assert tuple(e.shape) == tuple(t.shape)
    _same(e, t, 1e-9)
    g = np.random.default_rng(2).standard_normal(tuple(t.shape))
    e.backward(ember.tensor(g))
    t.backward(torch.tensor(g))
    _same(x.grad, tx.grad, 1e-9)


def test_norm_gradient_at_zero_and_logsumexp_edges_match_torch():
    for lib in (ember, torch):
        z = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        z.norm().backward()
        assert z.grad.tolist() == [0.0, 0.0, 0.0]
    inf = float("inf")
    assert ember.logsumexp(ember.tensor([[-inf, -inf]]), 1).tolist() == [-inf]
    assert ember.logsumexp(ember.tensor([inf, 1.0]), 0).item() == inf
    assert ember.logsumexp(ember.zeros(0, 3), 0).tolist() == [-inf] * 3  # empty slices: log(0)
    for v in ([True, False], [1, 2]):  # integers and bools in the default float dtype
        out, expected = ember.logsumexp(ember.tensor(v), 0), torch.logsumexp(torch.tensor(v), 0)
        assert out.dtype == ember.float32 and abs(out.item() - expected.item()) < 1e-6
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).norm()
    for lib in (ember, torch):  # p=0 counts, and is recorded with a zero gradient
        x = lib.tensor([0.0, 2.0, -1.0], requires_grad=True)
        n = x.norm(0)
        assert n.item() == 2.0 and n.requires_grad
        n.backward()
        assert x.grad is None or x.grad.tolist() == [0.0, 0.0, 0.0]


def test_unique_and_bincount_match_torch():
    v = [3, 1, 3, 2, 1, 1]
    mine = ember.unique(ember.tensor(v), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(v), return_inverse=True, return_counts=True)
    assert [m.tolist() for m in mine] == [t.tolist() for t in theirs]
    assert ember.unique(ember.tensor([2.5, -1.0, 2.5])).tolist() == [-1.0, 2.5]
    assert ember.bincount(ember.tensor([1, 1, 3]), minlength=6).tolist() == torch.bincount(torch.tensor([1, 1, 3]),
                                                                                          minlength=6).tolist()
    w = [0.5, 0.25, 1.0]
    assert ember.bincount(ember.tensor([0, 0, 2]), weights=ember.tensor(w)).tolist() == \
        torch.bincount(torch.tensor([0, 0, 2]), weights=torch.tensor(w)).tolist()
    with pytest.raises(RuntimeError, match="non-negative integral"):
        ember.bincount(ember.tensor([-1, 2]))
