"""cat/stack/split/chunk, gather/scatter_add/index_select/index_add, slice/select/narrow vs PyTorch."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}


def pair(shape, dtype=ember.float64, seed=0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape).astype(NP[dtype])
    e = ember.from_numpy(arr.copy())
    if requires_grad:
        e.requires_grad_(True)
    return e, to_torch(e)


def check_grads(out, tout, inputs, tinputs, seed=99):
    g = np.random.default_rng(seed).standard_normal(tuple(tout.shape)).astype(tout.detach().numpy().dtype)
    out.backward(ember.from_numpy(g.copy()))
    tout.backward(torch.from_numpy(g.copy()))
    for e, t in zip(inputs, tinputs):
        assert_close(e.grad, t.grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_values_and_grads(dtype, dim):
    shapes = [(2, 3), (2, 3), (2, 3)]
    ps = [pair(s, dtype, i) for i, s in enumerate(shapes)]
    if dim == 0:
        ps[1] = pair((4, 3), dtype, 7)
    else:
        ps[2] = pair((2, 1), dtype, 8)
    es, ts = [p[0] for p in ps], [p[1] for p in ps]
    out, tout = ember.cat(es, dim), torch.cat(ts, dim)
    assert_close(out, tout)
    check_grads(out, tout, es, ts)


def test_cat_promotes_and_skips_legacy_empty():
    a, b = ember.tensor([1, 2]), ember.tensor([0.5], dtype=ember.float64)
    out = ember.cat([a, b])
    assert_close(out, torch.cat([torch.tensor([1, 2]), torch.tensor([0.5], dtype=torch.float64)]))
    x, tx = pair((2, 3))
    out = ember.cat([x, ember.zeros(0, dtype=ember.float64), x])
    assert_close(out, torch.cat([tx, torch.zeros(0, dtype=torch.float64), tx]))


def test_cat_grad_back_to_input_dtype():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(3, dtype=ember.float64, requires_grad=True)
    ember.cat([a, b]).sum().backward()
    assert a.grad.dtype == ember.float32 and b.grad.dtype == ember.float64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dtype, dim):
    ps = [pair((2, 3), dtype, i) for i in range(3)]
    es, ts = [p[0] for p in ps], [p[1] for p in ps]
    out, tout = ember.stack(es, dim), torch.stack(ts, dim)
    assert_close(out, tout)
    check_grads(out, tout, es, ts)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", [2, 3, [1, 4], [0, 5, 0]])
def test_split(dtype, how):
    x, tx = pair((5, 2), dtype)
    es, ts = ember.split(x, how), torch.split(tx, how)
    assert isinstance(es, tuple) and len(es) == len(ts)
    for e, t in zip(es, ts):
        assert_close(e, t)
    w = [float(i + 1) for i in range(len(es))]
    sum(e.sum() * wi for e, wi in zip(es, w)).backward()
    sum(t.sum() * wi for t, wi in zip(ts, w)).backward()
    assert_close(x.grad, tx.grad)
    assert [tuple(p.shape) for p in x.split(how)] == [tuple(p.shape) for p in tx.split(how)]


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 1), (4, 1), (1, -1)])
def test_chunk(chunks, dim):
    x, tx = pair((5, 7))
    es, ts = x.chunk(chunks, dim), tx.chunk(chunks, dim)
    assert len(es) == len(ts)
    for e, t in zip(es, ts):
        assert_close(e, t)
    (es[-1] * 3).sum().backward()
    (ts[-1] * 3).sum().backward()
    assert_close(x.grad, tx.grad)
    assert len(ember.chunk(x, chunks, dim)) == len(ts)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dtype, dim):
    x, tx = pair((3, 4), dtype)
    rng = np.random.default_rng(1)
    size = 3 if dim == 0 else 4
    idx = rng.integers(0, size, (2, 3) if dim != 0 else (5, 2))
    out, tout = x.gather(dim, ember.from_numpy(idx)), tx.gather(dim, torch.from_numpy(idx))
    assert_close(out, tout)
    check_grads(out, tout, [x], [tx])


def test_gather_scatter_add_gradcheck_and_double_backward():
    x, tx = pair((3, 4))
    idx = ember.tensor([[0, 2, 1], [2, 2, 0]])
    assert ember.autograd.gradcheck(lambda t: t.gather(0, idx) ** 2, (x,))
    src, tsrc = pair((2, 4), seed=3)
    assert ember.autograd.gradcheck(lambda a, s: ember.scatter_add(a, 0, idx, s), (x, src))
    out = ember.scatter_add(x, 0, idx, src)
    tout = tx.scatter_add(0, to_torch(idx), tsrc)
    assert_close(out, tout)
    # double backward: gather's backward (scatter_add) is differentiable
    (g,) = ember.autograd.grad((x.gather(1, idx) ** 3).sum(), [x], create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), [x])
    (tg,) = torch.autograd.grad((tx.gather(1, to_torch(idx)) ** 3).sum(), [tx], create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), [tx])
    assert_close(gg, tgg)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_select_and_index_add(dtype, dim):
    x, tx = pair((3, 4, 5), dtype)
    idx = ember.tensor([2, 0, 2])
    out, tout = x.index_select(dim, idx), tx.index_select(dim, to_torch(idx))
    assert_close(out, tout)
    check_grads(out, tout, [x], [tx])
    assert_close(ember.index_select(x, dim, idx), torch.index_select(tx, dim, to_torch(idx)))
    src, tsrc = pair(tuple(tout.shape), dtype, 5)
    assert_close(x.index_add(dim, idx, src), tx.index_add(dim, to_torch(idx), tsrc))
    xd, _ = pair((3, 4, 5))
    assert ember.autograd.gradcheck(lambda t: t.index_select(dim, idx) * t.index_select(dim, idx), (xd,))


@pytest.mark.parametrize("args", [(0, 1, 3, 1), (1, -3, 100, 2), (1, -100, -1, 3), (0, 2, 1, 1), (-1, 0, 5, 2)])
def test_slice_via_getitem_and_narrow_select(args):
    dim, start, stop, step = args
    x, tx = pair((3, 5))
    key = (slice(None),) * (dim % 2) + (slice(start, stop, step),)
    out, tout = x[key], tx[key]
    assert_close(out, tout)
    check_grads(out, tout, [x], [tx])
    assert ember.autograd.gradcheck(lambda t: t[key] * 2, (x.detach().requires_grad_(True),))


def test_select_narrow_and_their_double_backward():
    x, tx = pair((3, 5))
    assert_close(x.select(1, -2), tx.select(1, -2))
    assert_close(ember.select(x, 0, 1), torch.select(tx, 0, 1))
    assert_close(x.narrow(1, 1, 3), tx.narrow(1, 1, 3))
    assert_close(ember.narrow(x, 0, -2, 2), torch.narrow(tx, 0, -2, 2))
    assert ember.autograd.gradcheck(lambda t: t.select(1, 2) ** 2, (x,))
    assert ember.autograd.gradcheck(lambda t: t.narrow(1, 1, 3) ** 2, (x,))
    (g,) = ember.autograd.grad((x.select(0, 1) ** 3).sum() + (x.narrow(1, 0, 2) ** 3).sum(), [x], create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), [x])
    (tg,) = torch.autograd.grad((tx.select(0, 1) ** 3).sum() + (tx.narrow(1, 0, 2) ** 3).sum(), [tx], create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), [tx])
    assert_close(gg, tgg)


def test_split_outputs_are_views():
    x = ember.zeros(4, 2)
    a, b = x.split(2)
    a[0, 0] = 5.0
    assert x[0, 0].item() == 5.0
    assert b.storage_offset() == 4


def test_errors():
    with pytest.raises(ValueError, match=r"\[cat\] expected a non-empty list"):
        ember.cat([])
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 4)])
    with pytest.raises(RuntimeError, match=r"same number of dimensions: got 2 and 3"):
        ember.cat([ember.zeros(2, 3), ember.zeros(2, 3, 1)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor"):
        ember.cat([ember.zeros(()), ember.zeros(())])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[2, 4\] at entry 1"):
        ember.stack([ember.zeros(2, 3), ember.zeros(2, 4)])
    with pytest.raises(RuntimeError, match=r"split_sizes to sum exactly to 3"):
        ember.zeros(3).split([1, 1])
    with pytest.raises(RuntimeError, match=r"split_size can only be 0"):
        ember.zeros(3).split(0)
    with pytest.raises(RuntimeError, match=r"chunks. to be greater than 0, got: 0"):
        ember.zeros(3).chunk(0)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        ember.zeros(3, 2).select(0, 5)
    with pytest.raises(RuntimeError, match=r"\[gather\] index 5 is out of bounds for dimension 0 with size 2"):
        ember.zeros(2, 3).gather(0, ember.tensor([[5]]))
    with pytest.raises(RuntimeError, match=r"\[scatter_add\] index 2 is out of bounds for dimension 0 with size 2"):
        ember.zeros(2, 3).scatter_add(0, ember.tensor([[2]]), ember.ones(1, 1))
    with pytest.raises(RuntimeError, match=r"\[index_add\] index 3 is out of bounds for dimension 1 with size 3"):
        ember.zeros(2, 3).index_add(1, ember.tensor([3]), ember.ones(2, 1))
    with pytest.raises(IndexError, match=r"\[index_select\] index -1 is out of bounds for dimension 1 with size 3"):
        ember.zeros(2, 3).index_select(1, ember.tensor([-1]))
    with pytest.raises(RuntimeError, match=r"expected an int64 or int32 index, got ember.float32"):
        ember.zeros(2, 3).gather(0, ember.zeros(1, 1))
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(3\)"):
        ember.zeros(2, 3).narrow(1, 2, 3)
    with pytest.raises(RuntimeError, match=r"same number of dimensions"):
        ember.zeros(2, 3).gather(0, ember.tensor([0]))
