"""The pure-Python reference engines (ember.reference): gradients against PyTorch and ember, hand-worked
cases, and the MLP step agreeing across Value, the NumPy engine and ember for the same weights."""
import math

import numpy as np
import pytest

import ember
from conftest import torch
from ember.reference import MLP, Value, cross_entropy, numpy_engine as ne
from ember.bench.workloads import mlp_data


# ---------------------------------------------------------------------- Value

def test_value_hand_worked():
    # f = (a*b + a)^2 at a=2, b=3: f = 64; df/da = 2(ab+a)(b+1) = 64; df/db = 2(ab+a)a = 32.
    a, b = Value(2.0), Value(3.0)
    f = (a * b + a) ** 2
    f.backward()
    assert f.data == 64.0 and a.grad == 64.0 and b.grad == 32.0


def _value_ops():
    return {
        "add_sub": lambda x, y: (x + y) - (2.0 - x) + (1.5 + y) - y,
        "mul_div": lambda x, y: (x * y) / (y + 3.0) * 2.0 + 1.0 / (x + 4.0),
        "pow_neg": lambda x, y: (x ** 3) * -(y ** 2) + x ** -1.5,
        "relu": lambda x, y: (x * y).relu() + (x - 10.0).relu(),
        "tanh_exp_log": lambda x, y: (x.tanh() * y.exp()).log(),
    }


@pytest.mark.parametrize("name", list(_value_ops()))
def test_value_grads_match_torch(name):
    fn = _value_ops()[name]
    xv, yv = 0.7, 1.3
    x, y = Value(xv), Value(yv)
    out = fn(x, y)
    out.backward()
    tx = torch.tensor(xv, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(yv, dtype=torch.float64, requires_grad=True)
    tout = fn(tx, ty)  # the same expression: torch tensors have these methods too
    tout.backward()
    assert math.isclose(out.data, tout.item(), rel_tol=1e-12)
    assert math.isclose(x.grad, tx.grad.item(), rel_tol=1e-12)
    assert math.isclose(y.grad, ty.grad.item(), rel_tol=1e-12)


def test_value_reused_input_and_deep_chain():
    x = Value(1.0)
    y = x
    for _ in range(5000):  # deeper than the recursion limit: backward must be iterative
        y = y + x
    y.backward()
    assert y.data == 5001.0 and x.grad == 5001.0


def test_value_errors():
    with pytest.raises(TypeError, match=r"\[Value.__pow__\].*exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match=r"\[Value.log\] input must be positive"):
        Value(-1.0).log()


def test_value_cross_entropy_matches_torch():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)) * 3
    targets = [0, 3, 1, 1, 2]
    vs = [[Value(z) for z in row] for row in logits]
    loss = cross_entropy(vs, targets)
    loss.backward()
    t = torch.tensor(logits, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    tl.backward()
    assert math.isclose(loss.data, tl.item(), rel_tol=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in vs], t.grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------- NumPy engine

def _pair(shape, rng, dtype=np.float64):
    a = rng.standard_normal(shape).astype(dtype)
    return ne.Tensor(a.copy(), requires_grad=True), torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)


CASES = {
    "add_broadcast": ([(3, 4), (4,)], lambda a, b: (a + b).sum()),
    "sub_broadcast": ([(3, 1), (1, 4)], lambda a, b: ((a - b) * (a - b)).sum()),
    "mul_broadcast_div": ([(2, 3), (3,)], lambda a, b: (a * b / (b * b + 1.0)).sum()),
    "matmul_relu_mean": ([(3, 5), (5, 2)], lambda a, b: (a @ b).relu().mean()),
    "exp_log_tanh": ([(4,)], lambda a: (a.exp() + 1.0).log().tanh().sum()),
    "rsub_rdiv_neg": ([(3,)], lambda a: (2.0 - a + 3.0 / (a * a + 1.0) - a).sum()),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_numpy_engine_grads_match_torch_and_ember(name, dtype):
    shapes, fn = CASES[name]
    rng = np.random.default_rng(1)
    triples = [_pair(s, rng, dtype) for s in shapes]
    outs = [fn(*[t[k] for t in triples]) for k in range(3)]
    for o in outs:
        o.backward()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    assert outs[0].data.dtype == dtype  # scalars do not promote float32 to float64
    np.testing.assert_allclose(outs[0].data, outs[1].detach().numpy(), **tol)
    np.testing.assert_allclose(outs[0].data, outs[2].detach().numpy(), **tol)
    for n, t, e in triples:
        assert n.grad.shape == n.data.shape
        np.testing.assert_allclose(n.grad, t.grad.numpy(), **tol)
        np.testing.assert_allclose(n.grad, e.grad.numpy(), **tol)


def test_numpy_engine_log_softmax_cross_entropy_match_torch():
    rng = np.random.default_rng(2)
    n, t, _ = _pair((6, 5), rng)
    y = np.array([0, 4, 2, 2, 1, 3])
    loss = ne.cross_entropy(n, y)
    loss.backward()
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-12)
    np.testing.assert_allclose(n.grad, t.grad.numpy(), rtol=1e-10, atol=1e-14)
    sm = ne.softmax(ne.Tensor(n.data), axis=-1)
    np.testing.assert_allclose(sm.data, torch.softmax(t.detach(), -1).numpy(), rtol=1e-12)


def test_numpy_engine_no_grad_grad_accumulates_and_errors():
    a = ne.Tensor(np.ones(3), requires_grad=True)
    with ne.no_grad():
        assert not (a * 2.0).requires_grad
    (a * a).sum().backward()
    (a * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0, 5.0])  # 2a + 3, accumulated over two backwards
    with pytest.raises(RuntimeError, match=r"\[backward\] grad can be implicitly created only for scalar"):
        (a * 2.0).backward()
    with pytest.raises(ValueError, match=r"\[matmul\].*2-D @ 2-D.*\(3,\)"):
        a @ a


# ---------------------------------------------------------------------- the MLP on all three

def test_mlp_loss_and_grads_agree_value_numpy_ember():
    x, y, params = mlp_data((3, 5, 4, 3), batch=7, seed=5)
    params64 = [p.astype(np.float64) for p in params]
    x64 = x.astype(np.float64)

    model = MLP.from_params(params64)
    vloss = cross_entropy([model(r) for r in x64.tolist()], y.tolist())
    vloss.backward()
    vgrads = [np.array(g) for g in model.tensors("grad")]

    nps = [ne.Tensor(p.copy(), requires_grad=True) for p in params64]
    eps = [ember.tensor(p, requires_grad=True) for p in params64]
    for lib_params, lib in ((nps, "numpy"), (eps, "ember")):
        h = ne.Tensor(x64) if lib == "numpy" else ember.tensor(x64)
        for i in range(0, len(lib_params), 2):
            h = h @ lib_params[i] + lib_params[i + 1]
            if i + 2 < len(lib_params):
                h = h.relu()
        loss = ne.cross_entropy(h, y) if lib == "numpy" else ember.nn.functional.cross_entropy(h, ember.tensor(y))
        loss.backward()
        np.testing.assert_allclose(loss.item(), vloss.data, rtol=1e-12)
        for p, g in zip(lib_params, vgrads):
            got = p.grad if lib == "numpy" else p.grad.numpy()
            np.testing.assert_allclose(got, g, rtol=1e-10, atol=1e-13)
    assert len(model.parameters()) == sum(p.size for p in params)
