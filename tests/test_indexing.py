"""x[...] and x[...] = v against PyTorch: basic and advanced indexing, masks, grads, errors."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}


def pair(shape, dtype=ember.float64, seed=0):
    arr = np.random.default_rng(seed).standard_normal(shape).astype(NP[dtype])
    e = ember.from_numpy(arr.copy()).requires_grad_(True)
    return e, to_torch(e)


E_IDX = lambda *v: ember.tensor(list(v))  # noqa: E731
T_IDX = lambda *v: torch.tensor(list(v))  # noqa: E731

# (ember key, torch key) pairs on a (3, 4, 5) tensor
KEYS = [
    (1, 1),
    (-1, -1),
    ((1, 2), (1, 2)),
    ((0, -1, 4), (0, -1, 4)),
    (slice(1, None), slice(1, None)),
    ((slice(None), slice(None, None, 2)), (slice(None), slice(None, None, 2))),
    ((slice(1, None), slice(None, None, 2), None, Ellipsis), (slice(1, None), slice(None, None, 2), None, Ellipsis)),
    ((Ellipsis, 2), (Ellipsis, 2)),
    ((None, 0, None), (None, 0, None)),
    ((slice(-100, 100), slice(3, 1)), (slice(-100, 100), slice(3, 1))),
    ([0, 2, -1], [0, 2, -1]),
    ((slice(None), [1, 3, 1]), (slice(None), [1, 3, 1])),
    ((E_IDX(2, 0), slice(None), E_IDX(1, 4)), (T_IDX(2, 0), slice(None), T_IDX(1, 4))),
    ((slice(None), E_IDX(0, 3), E_IDX(1, 4)), (slice(None), T_IDX(0, 3), T_IDX(1, 4))),
    ((E_IDX(0, 1, 2), E_IDX(3, 2, 1)), (T_IDX(0, 1, 2), T_IDX(3, 2, 1))),
    ((ember.tensor([[0], [2]]), E_IDX(1, 3)), (torch.tensor([[0], [2]]), T_IDX(1, 3))),
    ((0, slice(None), [0, 1]), (0, slice(None), [0, 1])),
    ((Ellipsis, E_IDX(4, 0)), (Ellipsis, T_IDX(4, 0))),
    ((slice(None), None, [1, 2]), (slice(None), None, [1, 2])),
    (ember.tensor(1), torch.tensor(1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", range(len(KEYS)))
def test_getitem_values_and_grads(dtype, k):
    ekey, tkey = KEYS[k]
    x, tx = pair((3, 4, 5), dtype)
    out, tout = x[ekey], tx[tkey]
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(NP[dtype])
    out.backward(ember.from_numpy(g.copy()))
    tout.backward(torch.from_numpy(g.copy()))
    assert_close(x.grad, tx.grad)


def test_basic_index_is_a_view():
    x = ember.zeros(3, 4)
    v = x[1:, ::2]
    assert v._is_view() and v.storage_offset() == 4 and v.stride() == (4, 2)
    assert x[1].storage_offset() == 4


@pytest.mark.parametrize("dtype", DTYPES)
def test_bool_mask(dtype):
    x, tx = pair((3, 4), dtype)
    out, tout = x[x > 0], tx[tx > 0]
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)
    row_mask = ember.tensor([True, False, True])
    assert_close(x[row_mask], tx[torch.tensor([True, False, True])])
    assert_close(x[:, ember.tensor([True, False, False, True])], tx[:, torch.tensor([True, False, False, True])])


def test_manual_cross_entropy_idiom():
    # loss = -mean(log_softmax(logits)[arange(n), y]), written with ops every branch has
    logits, tlogits = pair((4, 3))
    y = ember.tensor([2, 0, 1, 2])
    n = 4
    lsm = logits - logits.exp().sum(1, keepdim=True).log()
    loss = -lsm[ember.arange(n), y].sum() / n
    tlsm = tlogits - tlogits.exp().sum(1, keepdim=True).log()
    tloss = -tlsm[torch.arange(n), to_torch(y)].sum() / n
    assert_close(loss, tloss)
    loss.backward()
    tloss.backward()
    assert_close(logits.grad, tlogits.grad)


def test_gradcheck_indexing():
    x, _ = pair((3, 4))
    assert ember.autograd.gradcheck(lambda t: t[1:, ::2] * t[1:, ::2], (x,))
    assert ember.autograd.gradcheck(lambda t: t[[0, 2, 2]] ** 2, (x,))
    assert ember.autograd.gradcheck(lambda t: t[ember.tensor([0, 2]), ember.tensor([3, 3])] ** 2, (x,))
    mask = x.detach() > 0
    assert ember.autograd.gradcheck(lambda t: t[mask] ** 2, (x,))


def test_setitem_without_grad():
    x = ember.zeros(3, 4)
    tx = torch.zeros(3, 4)
    v = ember.arange(4, dtype=ember.float32)
    for k, val, tval in [(0, 5.0, 5.0), ((slice(1, None), slice(None, None, 2)), ember.tensor([7.0, 8.0]),
                                                torch.tensor([7.0, 8.0])),
                         ((Ellipsis, -1), 9, 9), (1, v, to_torch(v)), ((2, 3), -1.5, -1.5)]:
        before = x._version if hasattr(x, "_version") else None
        x[k] = val
        tx[k] = tval
        if before is not None:
            assert x._version > before
    assert_close(x, tx)
    x[x > 4] = 0.0
    tx[tx > 4] = 0.0
    assert_close(x, tx)
    x[[0, 2]] = ember.tensor([1.0, 2.0, 3.0, 4.0])
    tx[[0, 2]] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    x[:, ember.tensor([1, 3])] = ember.ones(3, 1) * 6
    tx[:, torch.tensor([1, 3])] = torch.ones(3, 1) * 6
    x[ember.tensor([0, 1]), ember.tensor([0, 0])] = ember.tensor([-3.0, -4.0])
    tx[torch.tensor([0, 1]), torch.tensor([0, 0])] = torch.tensor([-3.0, -4.0])
    assert_close(x, tx)
    x[1:] = ember.ones(1, 1, 4) * 2  # extra leading 1s in the value are dropped
    tx[1:] = torch.ones(1, 1, 4) * 2
    assert_close(x, tx)
    xi = ember.zeros(2, 2, dtype=ember.int64)
    xi[0] = 3
    np.testing.assert_array_equal(xi.numpy(), [[3, 3], [0, 0]])


def test_setitem_under_no_grad_on_leaf():
    w = ember.zeros(3, requires_grad=True)
    with ember.no_grad():
        w[1] = 2.0
    assert w.tolist() == [0.0, 2.0, 0.0] and w.requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_setitem_with_autograd_on_non_leaf(dtype):
    x, tx = pair((3, 4), dtype)
    v, tv = pair((4,), dtype, seed=5)
    y = x.clone()
    y[0] = 5.0
    y[1] = v * 2
    y[:, [1, 3]] = y[:, [1, 3]] * 3
    ty = tx.clone()
    ty[0] = 5.0
    ty[1] = tv * 2
    ty[:, [1, 3]] = ty[:, [1, 3]] * 3
    assert_close(y, ty)
    w = np.random.default_rng(9).standard_normal((3, 4)).astype(NP[dtype])
    (y * ember.from_numpy(w.copy())).sum().backward()
    (ty * torch.from_numpy(w.copy())).sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(v.grad, tv.grad)


def test_setitem_gradcheck():
    x, _ = pair((3, 4))
    v, _ = pair((1, 4), seed=2)

    def f(a, b):
        y = a * 1.0
        y[1:] = b * b
        return y * a
    assert ember.autograd.gradcheck(f, (x, v))


def test_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 1 with size 4"):
        x[1, 5]
    with pytest.raises(IndexError, match=r"index 7 is out of bounds for dimension 1 with size 4"):
        x[:, [0, 7]]
    with pytest.raises(TypeError, match=r"valid indices \(got float\)"):
        x[1.5]
    with pytest.raises(TypeError, match=r"got str"):
        x["a"]
    with pytest.raises(IndexError, match=r"The shape of the mask \[4\] at index 0 does not match the shape of "
                                         r"the indexed tensor \[3, 4\] at index 0"):
        x[ember.tensor([True, False, True, True])]
    with pytest.raises(IndexError, match=r"could not be broadcast together with shapes \[2\], \[3\]"):
        x[ember.tensor([0, 1]), ember.tensor([0, 1, 2])]
    with pytest.raises(IndexError, match=r"single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match=r"long, int or bool"):
        x[ember.zeros(2)]
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        x[::-1]
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[4\]"):
        x[0] = ember.zeros(3)
    with pytest.raises(TypeError, match=r"can assign a Tensor or a number, got str"):
        x[0] = "a"
    leaf = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf Variable that requires grad"):
        leaf[0] = 1.0
