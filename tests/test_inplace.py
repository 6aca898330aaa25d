"""In-place ops: values, version bumps, the autograd errors PyTorch raises, history recorded on
non-leaf tensors (gradients against PyTorch), and the no_grad parameter-update idiom."""
import pytest

import ember
from conftest import assert_close, to_torch

torch = pytest.importorskip("torch")

VALUES = [[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]]

# name -> function applying the in-place op (works on ember and torch tensors alike)
INPLACE = {
    "add_": lambda t: t.add_(2.0),
    "add_tensor": lambda t: t.add_(t.t().t() * 0.5),
    "add_alpha": lambda t: t.add_(t * 1.0, alpha=0.5),
    "sub_": lambda t: t.sub_(1.5),
    "mul_": lambda t: t.mul_(3.0),
    "div_": lambda t: t.div_(4.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(7.0),
    "relu_": lambda t: t.relu_(),
    "clamp_": lambda t: t.clamp_(-2.0, 2.5),
    "clamp_min": lambda t: t.clamp_(min=0.0),
    "iadd": lambda t: t.__iadd__(1.0),
    "isub": lambda t: t.__isub__(1.0),
    "imul": lambda t: t.__imul__(2.0),
    "itruediv": lambda t: t.__itruediv__(2.0),
}


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_and_version(name, dtype):
    e = ember.tensor(VALUES, dtype=dtype)
    t = to_torch(e)
    v = e._version
    out = INPLACE[name](e)
    INPLACE[name](t)
    assert out is e                    # in-place ops return self
    assert_close(e, t)
    assert e._version > v


def test_copy_():
    dst = ember.zeros(2, 3)
    src = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    v = dst._version
    dst.copy_(src)                    # broadcasts and casts
    assert dst.dtype == ember.float32 and dst._version == v + 1
    assert_close(dst, torch.zeros(2, 3).copy_(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))


def test_iadd_keeps_identity():
    x = ember.ones(3)
    y = x
    y += 1.0
    assert y is x and x.tolist() == [2.0, 2.0, 2.0]


def test_inplace_int_tensor_keeps_dtype_and_rejects_float_result():
    x = ember.tensor([1, 2, 3])
    x.add_(2)
    x *= 2
    assert x.dtype == ember.int64 and x.tolist() == [6, 8, 10]
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.div_(2)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)


def test_inplace_broadcast_shape_must_match_self():
    x = ember.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(ember.ones(2, 3))
    tx = torch.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        tx.add_(torch.ones(2, 3))


def test_inplace_on_view_writes_base_and_shares_version():
    base = ember.zeros(2, 3)
    row = base.t()
    row.add_(1.0)
    assert base.tolist() == [[1.0] * 3] * 2
    assert base._version == row._version == 1


# ---------------------------------------------------------------- autograd

def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    for fn in (lambda: x.add_(1.0), lambda: x.mul_(2.0), lambda: x.relu_(), lambda: x.zero_(),
               lambda: x.clamp_(0.0, 1.0), lambda: x.copy_(ember.zeros(3))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            fn()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.t().add_(1.0)                 # a view of such a leaf too
    tx = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tx.add_(1.0)


INPLACE_GRAD = {
    "add_": lambda y, z: y.add_(z),
    "sub_": lambda y, z: y.sub_(z),
    "mul_": lambda y, z: y.mul_(z),
    "div_": lambda y, z: y.div_(z),
    "pow_": lambda y, z: y.pow_(z),
    "mul_scalar": lambda y, z: y.mul_(3.0),
    "relu_": lambda y, z: y.relu_(),
    "sigmoid_": lambda y, z: y.sigmoid_(),
    "exp_": lambda y, z: y.exp_(),
    "log_": lambda y, z: y.log_(),
    "sin_": lambda y, z: y.sin_(),
    "clamp_": lambda y, z: y.clamp_(0.5, 1.5),
    "copy_": lambda y, z: y.copy_(z),
    "zero_": lambda y, z: y.zero_(),
    "fill_": lambda y, z: y.fill_(0.25),
    "iadd": lambda y, z: y.__iadd__(z),
    "imul": lambda y, z: y.__imul__(z),
}


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("name", list(INPLACE_GRAD))
def test_inplace_on_non_leaf_records_history(name, dtype):
    x = ember.tensor([0.5, 1.0, 2.0], dtype=dtype, requires_grad=True)
    z = ember.tensor([1.5, -0.5, 2.0], dtype=dtype, requires_grad=True)
    tx, tz = to_torch(x), to_torch(z)

    def run(x, z):
        y = x * 2.0
        INPLACE_GRAD[name](y, z)
        return (y * y).sum(), y
    out, y = run(x, z)
    tout, ty = run(tx, tz)
    assert y.grad_fn is not None and not y.is_leaf
    assert_close(y, ty)
    out.backward()
    tout.backward()
    assert_close(x.grad, tx.grad)
    if tz.grad is None:
        assert z.grad is None
    else:
        assert_close(z.grad, tz.grad)


def test_inplace_gradcheck():
    def f(x, z):
        y = x * 1.0
        y.mul_(z)
        y.add_(x)
        return y.sin_()
    x = ember.tensor([0.3, -0.7, 1.1], dtype=ember.float64, requires_grad=True)
    z = ember.tensor([1.2, 0.4, -2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (x, z))


def test_modified_saved_tensor_raises_naming_versions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()                 # ExpBackward0 saves its output y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*version 1; expected version 0"):
        y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx.exp()
    ty.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*version 1; expected version 0"):
        ty.sum().backward()


def test_modified_saved_input_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0])
    y = x * w                   # saves w to differentiate w.r.t. x
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_modified_through_a_view_is_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([[3.0, 4.0]])
    y = x * w
    w.view(2).add_(1.0)         # the view shares w's version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_sgd_update_under_no_grad():
    w = ember.tensor([1.0, -2.0], requires_grad=True)
    tw = to_torch(w)
    lr = 0.1
    for _ in range(3):
        for p, lib in ((w, ember), (tw, torch)):
            loss = (p * p * 3.0).sum()
            loss.backward()
            with lib.no_grad():
                p -= lr * p.grad
            p.grad = None
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert_close(w, tw)


def test_inplace_under_no_grad_records_nothing():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with ember.no_grad():
        y.mul_(3.0)
    assert y.grad_fn.name() == "MulBackward0"   # the history of y is unchanged
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_grad_zero_idiom():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    (w * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
