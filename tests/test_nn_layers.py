"""ember.nn layers and the new nn.functional ops vs PyTorch: forward values and gradients in
float32 and float64, gradcheck in float64, running statistics, train/eval, and error paths."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]
TF = torch.nn.functional


def _check(fn, tfn, x, **tol):
    """fn(x) vs tfn(torch x): values and the gradient for a random upstream gradient."""
    tx = to_torch(x)
    y, ty = fn(x), tfn(tx)
    assert_close(y, ty, **tol)
    g = ember.randn(*y.shape, dtype=y.dtype)
    y.backward(g)
    ty.backward(to_torch(g))
    assert_close(x.grad, tx.grad, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "leaky_relu", "leaky_relu_02", "tanh", "sigmoid", "relu"])
def test_activation_modules_match_torch(dtype, name):
    make = {"gelu": (lambda m: m.GELU()), "gelu_tanh": (lambda m: m.GELU("tanh")),
            "leaky_relu": (lambda m: m.LeakyReLU()), "leaky_relu_02": (lambda m: m.LeakyReLU(0.2)),
            "tanh": (lambda m: m.Tanh()), "sigmoid": (lambda m: m.Sigmoid()), "relu": (lambda m: m.ReLU())}[name]
    x = (ember.randn(4, 6, dtype=dtype) * 3).requires_grad_()
    _check(make(nn), make(torch.nn), x)


def test_gelu_hand_worked_and_gradcheck():
    # gelu(0) = 0, gelu'(0) = 1/2; gelu(1) = Phi(1) = 0.8413447460685429
    x = ember.tensor([0.0, 1.0], dtype=ember.float64, requires_grad=True)
    y = F.gelu(x)
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 0.8413447460685429], rtol=1e-12)
    y.sum().backward()
    assert x.grad.tolist()[0] == 0.5
    for approximate in ["none", "tanh"]:
        z = ember.randn(5, dtype=ember.float64).requires_grad_()
        assert ember.autograd.gradcheck(lambda t: F.gelu(t, approximate=approximate), (z,))
        assert ember.autograd.gradcheck(lambda t: F.leaky_relu(t, 0.3), (z,))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_double_backward_matches_torch(approximate):
    x = ember.randn(6, dtype=ember.float64).requires_grad_()
    tx = to_torch(x)
    (g,) = ember.autograd.grad(F.gelu(x, approximate=approximate).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(TF.gelu(tx, approximate=approximate).sum(), tx, create_graph=True)
    assert_close(g, tg)
    (gg,) = ember.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    assert_close(gg, tgg)


def test_softmax_logsoftmax_identity_flatten_modules():
    x = ember.randn(2, 3, 4, dtype=ember.float64).requires_grad_()
    _check(nn.Softmax(dim=1), torch.nn.Softmax(dim=1), x)
    x.grad = None
    _check(nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1), x)
    assert nn.Identity(3, foo=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_module_matches_torch(dtype):
    lin = nn.Linear(5, 3, dtype=dtype)
    tlin = torch.nn.Linear(5, 3, dtype={ember.float32: torch.float32, ember.float64: torch.float64}[dtype])
    with torch.no_grad():
        tlin.weight.copy_(to_torch(lin.weight.detach()))
        tlin.bias.copy_(to_torch(lin.bias.detach()))
    x = ember.randn(4, 5, dtype=dtype).requires_grad_()
    _check(lin, tlin, x)
    assert_close(lin.weight.grad, tlin.weight.grad)
    assert_close(lin.bias.grad, tlin.bias.grad)
    assert nn.Linear(5, 3, bias=False).bias is None


def test_linear_default_init_bounds():
    ember.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) and the bias rule both give 1/sqrt(fan_in)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound


def test_dropout_train_and_eval():
    ember.manual_seed(1)
    drop = nn.Dropout(0.25)
    x = ember.ones(200, 100, requires_grad=True)
    y = drop(x)
    vals = y.detach().numpy()
    kept = vals != 0
    assert set(np.unique(vals).tolist()) <= {0.0, float(np.float32(1 / 0.75))}
    assert abs(kept.mean() - 0.75) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), vals)  # the gradient is the scaled mask
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 1.0).detach().numpy().max() == 0.0
    ember.manual_seed(5)
    a = F.dropout(ember.ones(50))
    ember.manual_seed(5)
    b = F.dropout(ember.ones(50))
    assert a.tolist() == b.tolist()  # reproducible under manual_seed
    assert F.dropout(ember.ones(50)).tolist() != b.tolist()  # and each call draws new bits
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        F.dropout(x, -0.1)


def _torch_copy(mod, tmod):
    tmod.load_state_dict({k: to_torch(v) for k, v in mod.state_dict().items()})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm1d_matches_torch(dtype, shape):
    tdtype = {ember.float32: torch.float32, ember.float64: torch.float64}[dtype]
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=dtype)
    tbn = torch.nn.BatchNorm1d(3, momentum=0.2, dtype=tdtype)
    with ember.no_grad():
        bn.weight.copy_(ember.randn(3, dtype=dtype))
        bn.bias.copy_(ember.randn(3, dtype=dtype))
    _torch_copy(bn, tbn)
    for _ in range(2):
        x = (ember.randn(*shape, dtype=dtype) * 2 + 1).requires_grad_()
        _check(bn, tbn, x)
        tol = dict(rtol=1e-5, atol=1e-5) if dtype == ember.float32 else {}
        assert_close(bn.running_mean, tbn.running_mean, **tol)
        assert_close(bn.running_var, tbn.running_var, **tol)
        assert_close(bn.weight.grad, tbn.weight.grad, **tol)
        assert_close(bn.bias.grad, tbn.bias.grad, **tol)
    assert bn.num_batches_tracked.item() == 2
    bn.eval(), tbn.eval()
    x = ember.randn(*shape, dtype=dtype).requires_grad_()
    _check(bn, tbn, x)


def test_batchnorm1d_options_and_errors():
    x = ember.randn(6, 4, dtype=ember.float64)
    for kwargs in [dict(affine=False), dict(track_running_stats=False), dict(momentum=None)]:
        bn, tbn = nn.BatchNorm1d(4, **kwargs).double(), torch.nn.BatchNorm1d(4, **kwargs).double()
        for _ in range(3):
            assert_close(bn(x), tbn(to_torch(x)))
        bn.eval(), tbn.eval()
        assert_close(bn(x), tbn(to_torch(x)))
        if kwargs.get("momentum", 0.1) is None:
            assert_close(bn.running_var, tbn.running_var)
    xg = ember.randn(5, 3, dtype=ember.float64).requires_grad_()
    bn = nn.BatchNorm1d(3).double()
    assert ember.autograd.gradcheck(lambda t: bn(t), (xg,))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size \[1, 3\]"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ember.randn(2, 3, 1, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layernorm_matches_torch(dtype):
    tdtype = {ember.float32: torch.float32, ember.float64: torch.float64}[dtype]
    ln = nn.LayerNorm((3, 4), dtype=dtype)
    tln = torch.nn.LayerNorm((3, 4), dtype=tdtype)
    with ember.no_grad():
        ln.weight.copy_(ember.randn(3, 4, dtype=dtype))
        ln.bias.copy_(ember.randn(3, 4, dtype=dtype))
    _torch_copy(ln, tln)
    x = ember.randn(2, 3, 4, dtype=dtype).requires_grad_()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == ember.float32 else {}
    _check(ln, tln, x, **tol)
    assert_close(ln.weight.grad, tln.weight.grad, **tol)
    xg = ember.randn(2, 5, dtype=ember.float64).requires_grad_()
    assert ember.autograd.gradcheck(lambda t: F.layer_norm(t, (5,)), (xg,))
    assert nn.LayerNorm(5, elementwise_affine=False).weight is None
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                                           r"but got input of size\[2, 5\]"):
        F.layer_norm(ember.randn(2, 5), [4])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_matches_torch(dtype, reduction):
    logp = F.log_softmax(ember.randn(6, 4, dtype=dtype), dim=1).detach().requires_grad_()
    target = ember.tensor([0, 3, 1, -100, 2, 3])
    weight = ember.rand(4, dtype=dtype) + 0.5
    for w in [None, weight]:
        logp.grad = None
        tw = None if w is None else to_torch(w)
        _check(lambda t: F.nll_loss(t, target, weight=w, reduction=reduction),
               lambda t: TF.nll_loss(t, to_torch(target), weight=tw, reduction=reduction), logp)
    # (N, C, d) inputs, and the module
    x = ember.randn(2, 3, 5, dtype=dtype).requires_grad_()
    t = ember.randint(0, 3, (2, 5))
    _check(lambda a: nn.NLLLoss(reduction=reduction)(a, t),
           lambda a: torch.nn.NLLLoss(reduction=reduction)(a, to_torch(t)), x)


def test_nll_loss_errors_and_gradcheck():
    logp = ember.randn(3, 4, dtype=ember.float64).requires_grad_()
    assert ember.autograd.gradcheck(lambda t: F.nll_loss(t, ember.tensor([1, 0, 3])), (logp,))
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.nll_loss(logp, ember.tensor([1, 4, 0]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.nll_loss(logp, ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found"):
        F.nll_loss(logp, ember.tensor([1.0, 2.0, 0.0]))


def test_loss_modules_match_torch():
    x = ember.randn(5, 3, dtype=ember.float64)
    y = ember.randint(0, 3, (5,))
    target = ember.rand(5, 3, dtype=ember.float64)
    for red in ["mean", "sum", "none"]:
        assert_close(nn.CrossEntropyLoss(reduction=red, label_smoothing=0.1)(x, y),
                     torch.nn.CrossEntropyLoss(reduction=red, label_smoothing=0.1)(to_torch(x), to_torch(y)))
        assert_close(nn.MSELoss(reduction=red)(x, target),
                     torch.nn.MSELoss(reduction=red)(to_torch(x), to_torch(target)))
        assert_close(nn.BCEWithLogitsLoss(reduction=red)(x, target),
                     torch.nn.BCEWithLogitsLoss(reduction=red)(to_torch(x), to_torch(target)))
    assert nn.CrossEntropyLoss(ignore_index=1).ignore_index == 1


def test_activation_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(ember.randn(2), approximate="fast")
    with pytest.raises(NotImplementedError, match=r"\[leaky_relu\] not implemented for ember.int64"):
        F.leaky_relu(ember.ones(2, dtype=ember.int64))
    with pytest.raises(NotImplementedError, match=r"\[gelu\] not implemented for ember.int64"):
        nn.GELU()(ember.ones(2, dtype=ember.int64))


def test_inplace_activation_modules():
    x = ember.randn(10)
    expected = F.leaky_relu(x, 0.2).tolist()
    out = nn.LeakyReLU(0.2, inplace=True)(x)
    assert out is x and x.tolist() == expected
    y = ember.randn(10)
    out = nn.ReLU(inplace=True)(y)
    assert out is y and min(y.tolist()) >= 0
