"""F.linear and the fused linear_relu vs PyTorch: values, gradients, layouts, errors, gradcheck,
and Sequential's automatic Linear+ReLU fusion."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]


def _inputs(dtype, x_shape=(7, 5), out=4, bias=True):
    x = ember.randn(*x_shape, dtype=dtype).requires_grad_()
    w = ember.randn(out, x_shape[-1], dtype=dtype).requires_grad_()
    b = ember.randn(out, dtype=dtype).requires_grad_() if bias else None
    return x, w, b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(7, 5), (5,), (2, 3, 5), (1, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("fused", [False, True])
def test_linear_matches_torch(dtype, x_shape, bias, fused):
    x, w, b = _inputs(dtype, x_shape, bias=bias)
    tx, tw = to_torch(x), to_torch(w)
    tb = to_torch(b) if bias else None
    y = (F.linear_relu if fused else F.linear)(x, w, b)
    ty = torch.nn.functional.linear(tx, tw, tb)
    if fused:
        ty = ty.relu()
    assert_close(y, ty)
    assert y.grad_fn.name() == ("LinearReluBackward0" if fused else "LinearBackward0")
    g = ember.randn(*y.shape, dtype=dtype)
    y.backward(g)
    ty.backward(to_torch(g))
    assert_close(x.grad, tx.grad)
    assert_close(w.grad, tw.grad)
    if bias:
        assert_close(b.grad, tb.grad)


def test_linear_reads_transposed_views_in_place():
    base_x = ember.randn(5, 6, dtype=ember.float64)
    base_w = ember.randn(5, 4, dtype=ember.float64)
    x, w = base_x.t(), base_w.t()  # (6, 5) and (4, 5), both column-major
    b = ember.randn(4, dtype=ember.float64)
    ref = torch.nn.functional.linear(to_torch(x), to_torch(w), to_torch(b))
    assert_close(F.linear(x, w, b), ref)
    assert_close(F.linear_relu(x, w, b), ref.relu())
    strided = ember.randn(6, 10, dtype=ember.float64)[:, ::2]  # neither stride is 1
    assert_close(F.linear(strided, w, b), torch.nn.functional.linear(to_torch(strided), to_torch(w), to_torch(b)))


def test_linear_relu_gradient_is_zero_where_output_is_clamped():
    # hand-worked: x = [1, -1], w = [[1, 1], [1, -1]], b = [0, 0] -> pre = [0, 2] -> y = [0, 2]
    x = ember.tensor([[1.0, -1.0]], requires_grad=True)
    w = ember.tensor([[1.0, 1.0], [1.0, -1.0]], requires_grad=True)
    b = ember.zeros(2, requires_grad=True)
    y = F.linear_relu(x, w, b)
    assert y.tolist() == [[0.0, 2.0]]
    y.sum().backward()
    assert b.grad.tolist() == [0.0, 1.0]            # relu'(0) = 0, relu'(2) = 1
    assert x.grad.tolist() == [[1.0, -1.0]]         # only the second row of w
    assert w.grad.tolist() == [[0.0, 0.0], [1.0, -1.0]]


@pytest.mark.parametrize("fused", [False, True])
def test_linear_gradcheck_and_double_backward(fused):
    x, w, b = _inputs(ember.float64, (3, 4), out=2)
    fn = F.linear_relu if fused else F.linear
    assert ember.autograd.gradcheck(fn, (x, w, b))
    # second derivative through the backward formula, vs torch
    y = fn(x, w, b)
    (gx,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    (gw,) = ember.autograd.grad(gx.sum(), w)
    tx, tw, tb = to_torch(x), to_torch(w), to_torch(b)
    ty = torch.nn.functional.linear(tx, tw, tb)
    if fused:
        ty = ty.relu()
    (tgx,) = torch.autograd.grad((ty * ty).sum(), tx, create_graph=True)
    (tgw,) = torch.autograd.grad(tgx.sum(), tw)
    assert_close(gw, tgw)


def test_linear_errors():
    x, w, b = ember.randn(3, 4), ember.randn(2, 5), ember.randn(2)
    with pytest.raises(RuntimeError, match=r"\[linear\] mat1 and mat2 shapes cannot be multiplied \(3x4 and 5x2\)"):
        F.linear(x, w, b)
    with pytest.raises(RuntimeError, match=r"\[linear\] bias must have shape \(3,\)"):
        F.linear(x, ember.randn(3, 4), ember.randn(2))
    with pytest.raises(RuntimeError, match=r"\[linear_relu\] mat1 and mat2 must have the same dtype"):
        F.linear_relu(x, ember.randn(2, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"\[linear\] weight must be a 2-D"):
        F.linear(x, ember.randn(4))
    with pytest.raises(NotImplementedError, match=r"\[linear_relu\] not implemented for ember.int64"):
        F.linear_relu(ember.ones(2, 2, dtype=ember.int64), ember.ones(2, 2, dtype=ember.int64))  # F.linear: matmul


def _mlp(hooks=False):
    ember.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))


def test_sequential_fuses_linear_relu_and_matches_unfused():
    model = _mlp()
    x = ember.randn(6, 4)
    out = model(x)
    # the fused node appears in the graph; the model, its names and its repr are unchanged
    names = []
    node = out.grad_fn
    while node is not None:
        names.append(node.name())
        nxt = [f for f, _ in node.next_functions if f is not None and f.name() != "AccumulateGrad"]
        node = nxt[0] if nxt else None
    assert names == ["LinearBackward0", "LinearReluBackward0", "LinearReluBackward0"]
    unfused = x
    for m in model:
        unfused = m(unfused)
    np.testing.assert_allclose(out.detach().numpy(), unfused.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                                                        "4.bias"]


def test_sequential_does_not_fuse_when_a_hook_must_see_the_linear_output():
    model = _mlp()
    seen = []
    model[0].register_forward_hook(lambda m, args, out: seen.append(out.grad_fn.name()))
    model(ember.randn(2, 4))
    assert seen == ["LinearBackward0"]


def test_sequential_mlp_matches_torch_forward_and_grads():
    model = _mlp()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    tmodel.load_state_dict({k: to_torch(v) for k, v in model.state_dict().items()})
    x = ember.randn(10, 4)
    y = ember.randint(0, 3, (10,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    tloss = torch.nn.CrossEntropyLoss()(tmodel(to_torch(x)), to_torch(y))
    loss.backward()
    tloss.backward()
    assert_close(loss, tloss)
    for (n, p), (tn, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        assert n == tn
        assert_close(p.grad, tp.grad, rtol=1e-5, atol=1e-6)


def test_integer_linear_matches_torch():
    """torch multiplies int64 inputs too (the fused native op is floating only: matmul instead)."""
    x, w, b = [[1, -2, 3], [0, 4, -1]], [[2, 0, 1], [-1, 3, 2]], [5, -5]
    for bias in (None, b):
        mine = F.linear(ember.tensor(x), ember.tensor(w), None if bias is None else ember.tensor(bias))
        theirs = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), None if bias is None else torch.tensor(b))
        assert_close(mine, theirs)
