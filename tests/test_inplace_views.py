"""In-place ops on a view of a tensor that takes part in autograd (PyTorch's CopySlices): the
base's history is rebased so gradients flow through the in-place op into the view's region."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]


def run_both(fn, dtype, *shapes):
    """Runs fn(lib, *leaves) with ember and with torch on the same random leaves; returns the leaves."""
    rng = np.random.default_rng(0)
    e = [ember.tensor(rng.normal(size=s), dtype=dtype, requires_grad=True) for s in shapes]
    t = [to_torch(x) for x in e]
    out_e, out_t = fn(ember, *e), fn(torch, *t)
    assert_close(out_e, out_t)
    out_e.backward()
    out_t.backward()
    return e, t


def check(fn, dtype, *shapes):
    e, t = run_both(fn, dtype, *shapes)
    for a, b in zip(e, t):
        assert_close(a.grad, b.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mul_on_a_column_of_a_clone(dtype):
    def fn(lib, x):
        y = x.clone()
        y[:, 0].mul_(2)
        return (y * y).sum()
    check(fn, dtype, (3, 4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_add_into_a_transpose_with_a_tensor_that_requires_grad(dtype):
    def fn(lib, x, z):
        y = x * 1.5
        y.t().add_(z)
        return (y.sin() * y).sum()
    check(fn, dtype, (3, 4), (4, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_on_a_slice(dtype):
    def fn(lib, x):
        y = x * 1
        y[1:, 1:3].relu_()
        return y.exp().sum()
    check(fn, dtype, (3, 4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_base_without_grad_other_operand_with_grad(dtype):
    def fn(lib, w):
        y = lib.zeros(3, 4, dtype=w.dtype)
        y[1].add_(w)
        y[:, 2].mul_(w[:3])
        return (y * y).sum()
    check(fn, dtype, (4,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_view_used_after_the_write_and_chained_writes(dtype):
    def fn(lib, x, z):
        y = x * 1
        v = y[0]
        v.mul_(z)       # v's own history is now "a view of the new y"
        v.add_(1.0)
        y[:, 1].sub_(z[:3])
        return (v * 3).sum() + (y ** 2).sum()
    check(fn, dtype, (3, 4), (4,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy_and_setitem_into_a_view(dtype):
    def fn(lib, x, s):
        y = x * 2
        y[1:, :2].copy_(s)
        y.t()[0][1:] = s[:, 0] * 3
        return (y * y.cos()).sum()
    check(fn, dtype, (3, 4), (2, 2))


def test_view_of_a_view_and_versions():
    x = ember.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x * 1
    v = y[1:][:, 2:]
    v.mul_(10)
    assert y._version == 1 and v._version == 1
    assert y.grad_fn.name() == "CopySlices" and v.grad_fn.name() == "AsStridedBackward0"
    y.sum().backward()
    expect = np.ones((3, 4))
    expect[1:, 2:] = 10
    np.testing.assert_array_equal(x.grad.numpy(), expect)


def test_gradcheck_through_copy_slices():
    x = ember.tensor(np.random.default_rng(1).normal(size=(3, 4)), dtype=ember.float64, requires_grad=True)
    z = ember.tensor(np.random.default_rng(2).normal(size=(4,)), dtype=ember.float64, requires_grad=True)

    def fn(a, b):
        y = a * 1
        y[1].mul_(b)
        y[:, 0].sin_()
        return y * y
    assert ember.autograd.gradcheck(fn, (x, z))


def test_double_backward_through_copy_slices_says_unsupported():
    x = ember.ones(2, 2, requires_grad=True)
    y = x * 1
    y[0].mul_(3)
    with pytest.raises(NotImplementedError, match=r"\[CopySlices\] double backward through an in-place op on a view"):
        g, = ember.autograd.grad((y * y).sum(), x, create_graph=True)


def test_view_of_a_leaf_still_refused():
    x = ember.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[0].mul_(2)


# Note [Stale views]: a view made before its base got new history sees that history when used.
@pytest.mark.parametrize("dtype", DTYPES)
def test_view_taken_before_a_write_through_another_view(dtype):
    def fn(lib, w):
        x = lib.zeros(3, dtype=w.dtype)
        v1, v2 = x[0:2], x[1:3]            # v1 is made while x has no history at all
        v2.mul_(0).add_(w * 3)              # v1[1] is now 3 * w[0]
        assert v1.requires_grad and v1.grad_fn is not None
        return (v1 * lib.tensor([1.0, 10.0], dtype=w.dtype)).sum()
    check(fn, dtype, (2,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_view_of_a_non_leaf_sees_a_later_write_through_another_view(dtype):
    def fn(lib, a):
        b = a * 1
        u1, u2 = b[0:2], b[1:3]
        u2.mul_(5)
        return (u1 * lib.tensor([1.0, 10.0], dtype=a.dtype)).sum()
    check(fn, dtype, (3,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_view_sees_an_in_place_op_on_its_base(dtype):
    def fn(lib, a):
        b = a * 2
        col = b[:, 1]
        b.exp_()                            # col now holds exp(2a)
        return (col * col).sum()
    check(fn, dtype, (3, 4))


def test_detached_view_stays_out_of_the_graph():
    x = ember.zeros(3)
    d = x[0:2].detach()
    x[1:3].copy_(ember.ones(2, requires_grad=True) * 2)
    assert not d.requires_grad and d.grad_fn is None
