"""softmax/log_softmax and the losses vs PyTorch: values and gradients in float32/float64, gradcheck
in float64, the hand-worked softmax-cross-entropy gradient, double backward, and the error paths."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from conftest import assert_close, torch

TF = torch.nn.functional
DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}


def leaves(a):
    return ember.tensor(a, requires_grad=True), torch.from_numpy(a.copy()).requires_grad_()


def randn(shape, dtype, seed=0, scale=1.0):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(NP[dtype])


def backward_both(oe, ot, seed=1):
    g = np.random.default_rng(seed).standard_normal(tuple(ot.shape)).astype(ot.detach().numpy().dtype)
    oe.backward(ember.tensor(g))
    ot.backward(torch.from_numpy(g))


# ---- softmax / log_softmax

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("transposed", [False, True])
def test_softmax_matches_torch(dtype, dim, log, transposed):
    le, lt = leaves(randn((3, 4, 5), dtype, scale=3.0))
    xe, xt = (le.transpose(0, 2), lt.transpose(0, 2)) if transposed else (le, lt)
    oe = xe.log_softmax(dim) if log else xe.softmax(dim)
    ot = xt.log_softmax(dim) if log else xt.softmax(dim)
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(le.grad, lt.grad)


def test_softmax_module_and_functional_spellings():
    a = randn((2, 3), ember.float64)
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    assert_close(ember.softmax(xe, 1), torch.softmax(xt, 1))
    assert_close(ember.log_softmax(xe, 0), torch.log_softmax(xt, 0))
    assert_close(F.softmax(xe, dim=-1), TF.softmax(xt, dim=-1))
    assert_close(F.log_softmax(xe, dim=0), TF.log_softmax(xt, dim=0))
    assert_close(F.softmax(xe.float(), 1, dtype=ember.float64), TF.softmax(xt.float(), 1, dtype=torch.float64))


def test_softmax_is_stable_for_huge_logits():
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1e30]], dtype=np.float32)
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    assert_close(xe.softmax(1), xt.softmax(1))
    assert_close(xe.log_softmax(1), xt.log_softmax(1))


@pytest.mark.parametrize("log", [False, True])
def test_softmax_gradcheck(log):
    x = ember.tensor(randn((3, 4), ember.float64), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: x.log_softmax(0) if log else x.softmax(1), (x,))


def test_softmax_double_backward():
    le, lt = leaves(randn((2, 5), ember.float64))
    w = randn((2, 5), ember.float64, seed=3)
    (ge,) = ember.autograd.grad((le.softmax(1) * ember.tensor(w)).sum(), le, create_graph=True)
    (gt,) = torch.autograd.grad((lt.softmax(1) * torch.from_numpy(w)).sum(), lt, create_graph=True)
    (ge * ge).sum().backward()
    (gt * gt).sum().backward()
    assert_close(le.grad, lt.grad)


# ---- cross_entropy

CE_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(label_smoothing=0.1),
    dict(label_smoothing=0.3, reduction="none"),
    dict(ignore_index=2),
    dict(ignore_index=2, label_smoothing=0.2),
    dict(ignore_index=2, label_smoothing=0.2, reduction="sum"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", CE_CASES, ids=str)
def test_cross_entropy_matches_torch(dtype, kwargs):
    le, lt = leaves(randn((6, 5), dtype, scale=2.0))
    target = np.array([0, 2, 4, 1, 2, 3])
    oe = F.cross_entropy(le, ember.tensor(target), **kwargs)
    ot = TF.cross_entropy(lt, torch.from_numpy(target), **kwargs)
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(le.grad, lt.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_non_contiguous_single_sample_and_spatial(dtype):
    le, lt = leaves(randn((5, 4), dtype))
    t = np.array([1, 0, 4, 4])
    oe, ot = F.cross_entropy(le.t(), ember.tensor(t)), TF.cross_entropy(lt.t(), torch.from_numpy(t))
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(le.grad, lt.grad)
    # logits (C,) with a 0-d target
    le, lt = leaves(randn((5,), dtype, seed=5))
    oe = F.cross_entropy(le, ember.tensor(3), reduction="none")
    ot = TF.cross_entropy(lt, torch.tensor(3), reduction="none")
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(le.grad, lt.grad)
    # (N, C, d) logits with (N, d) targets
    le, lt = leaves(randn((2, 3, 4), dtype, seed=6))
    t = np.random.default_rng(7).integers(0, 3, (2, 4))
    for reduction in ["mean", "none"]:
        le.grad, lt.grad = None, None
        oe = F.cross_entropy(le, ember.tensor(t), reduction=reduction, label_smoothing=0.1)
        ot = TF.cross_entropy(lt, torch.from_numpy(t), reduction=reduction, label_smoothing=0.1)
        assert_close(oe, ot)
        backward_both(oe, ot)
        assert_close(le.grad, lt.grad)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    a = randn((4, 3), ember.float64, seed=8)
    target = np.array([2, 0, 1, 1])
    x = ember.tensor(a, requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor(target))
    loss.backward()
    p = np.exp(a) / np.exp(a).sum(1, keepdims=True)
    onehot = np.eye(3)[target]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 4, rtol=1e-12, atol=1e-14)
    # and the loss is -log_softmax at the target, averaged
    picked = -np.log(p[np.arange(4), target])
    assert loss.item() == pytest.approx(picked.mean(), rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, ember.tensor(target), reduction="none").detach().numpy(),
                               picked, rtol=1e-12)


def test_cross_entropy_ignored_rows():
    x = ember.tensor(randn((3, 4), ember.float32), requires_grad=True)
    t = ember.tensor([1, -100, 3])
    F.cross_entropy(x, t, reduction="none").sum().backward()
    assert x.grad.numpy()[1].tolist() == [0.0] * 4
    assert F.cross_entropy(x, t, reduction="none").tolist()[1] == 0.0
    # every target ignored: the mean is 0 / 0 = NaN (as in PyTorch) and the gradient is 0
    x.grad = None
    all_ignored = F.cross_entropy(x, ember.tensor([-100, -100, -100]))
    assert np.isnan(all_ignored.item())
    all_ignored.backward()
    assert not x.grad.numpy().any()


@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.25, ignore_index=1),
                                    dict(reduction="none")], ids=str)
def test_cross_entropy_gradcheck(kwargs):
    x = ember.tensor(randn((4, 3), ember.float64, seed=9), requires_grad=True)
    t = ember.tensor([0, 1, 2, 1])
    assert ember.autograd.gradcheck(lambda x: F.cross_entropy(x, t, **kwargs), (x,))


@pytest.mark.parametrize("kwargs", [dict(), dict(label_smoothing=0.1, ignore_index=0, reduction="sum"),
                                    dict(reduction="none")], ids=str)
def test_cross_entropy_double_backward(kwargs):
    le, lt = leaves(randn((4, 5), ember.float64, seed=10))
    target = np.array([0, 3, 4, 1])
    oe = F.cross_entropy(le, ember.tensor(target), **kwargs)
    ot = TF.cross_entropy(lt, torch.from_numpy(target), **kwargs)
    w = np.random.default_rng(11).standard_normal(tuple(ot.shape))
    (ge,) = ember.autograd.grad(oe, le, grad_outputs=ember.tensor(w), create_graph=True)
    (gt,) = torch.autograd.grad(ot, lt, grad_outputs=torch.from_numpy(w), create_graph=True)
    assert_close(ge, gt)
    (ge * ge).sum().backward()  # the gradient of the squared grad-norm
    (gt * gt).sum().backward()
    assert_close(le.grad, lt.grad)


def test_cross_entropy_grad_of_grad_wrt_upstream():
    # create_graph keeps the upstream gradient in the graph too
    x = ember.tensor(randn((3, 4), ember.float64, seed=12), requires_grad=True)
    g = ember.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    xt = torch.from_numpy(x.detach().numpy().copy()).requires_grad_()
    gt = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    t = np.array([1, 2, 3])
    (dx,) = ember.autograd.grad(F.cross_entropy(x, ember.tensor(t), reduction="none"), x, g, create_graph=True)
    (dxt,) = torch.autograd.grad(TF.cross_entropy(xt, torch.from_numpy(t), reduction="none"), xt, gt,
                                 create_graph=True)
    dx.sum().backward()
    dxt.sum().backward()
    assert_close(g.grad, gt.grad, atol=1e-12)


# ---- mse_loss and binary_cross_entropy_with_logits

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["mse_loss", "binary_cross_entropy_with_logits"])
def test_pointwise_losses_match_torch(dtype, reduction, loss):
    xe, xt = leaves(randn((3, 4), dtype, scale=5.0))
    b = np.random.default_rng(13).random((4, 3)).astype(NP[dtype])
    te, tt = leaves(b)
    oe = getattr(F, loss)(xe, te.t(), reduction=reduction)  # a non-contiguous target
    ot = getattr(TF, loss)(xt, tt.t(), reduction=reduction)
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(xe.grad, xt.grad)
    assert_close(te.grad, tt.grad)


def test_bce_with_logits_is_stable_for_large_logits():
    a = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], dtype=np.float32)
    oe = F.binary_cross_entropy_with_logits(ember.tensor(a), ember.tensor(t), reduction="none")
    ot = TF.binary_cross_entropy_with_logits(torch.from_numpy(a), torch.from_numpy(t), reduction="none")
    assert np.isfinite(oe.numpy()).all()
    assert_close(oe, ot)


def test_mse_loss_broadcasts_like_torch():
    xe, xt = leaves(randn((3, 1), ember.float64))
    te, tt = leaves(randn((4,), ember.float64, seed=2))
    with pytest.warns(UserWarning, match="different to the input size"):
        oe = F.mse_loss(xe, te)
        ot = TF.mse_loss(xt, tt)
    assert_close(oe, ot)
    oe.backward()
    ot.backward()
    assert_close(xe.grad, xt.grad)
    assert_close(te.grad, tt.grad)


@pytest.mark.parametrize("loss", ["mse_loss", "binary_cross_entropy_with_logits"])
def test_pointwise_loss_gradcheck(loss):
    x = ember.tensor(randn((2, 3), ember.float64, seed=14), requires_grad=True)
    t = ember.tensor(np.random.default_rng(15).random((2, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, t: getattr(F, loss)(x, t), (x, t))


def test_functional_reexports():
    a = randn((2, 3), ember.float32)
    xe, xt = ember.tensor(a), torch.from_numpy(a)
    assert_close(F.relu(xe), TF.relu(xt))
    assert_close(F.sigmoid(xe), torch.sigmoid(xt))
    assert_close(F.tanh(xe), torch.tanh(xt))


# ---- per-class weights (log_softmax + weighted nll_loss) and BCE's weight / pos_weight

@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_weighted_cross_entropy_matches_torch(dtype, reduction, smoothing):
    rng = np.random.default_rng(4)
    x = randn((6, 4, 3), dtype, seed=5)                  # (N, C, d): the class dim is 1
    target = rng.integers(0, 4, (6, 3))
    target[1, 2] = target[4, 0] = -100                   # ignored
    w = rng.uniform(0.5, 2.0, 4)
    xe, xt = leaves(x)
    oe = F.cross_entropy(xe, ember.tensor(target), weight=ember.tensor(w, dtype=dtype), reduction=reduction,
                         label_smoothing=smoothing)
    ot = TF.cross_entropy(xt, torch.tensor(target), weight=torch.tensor(w, dtype=xt.dtype), reduction=reduction,
                          label_smoothing=smoothing)
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(xe.grad, xt.grad)


def test_weighted_cross_entropy_gradcheck_and_module():
    w = ember.tensor([0.5, 2.0, 1.0], dtype=ember.float64)
    x = ember.tensor(randn((4, 3), ember.float64, seed=6), requires_grad=True)
    y = ember.tensor([0, 2, 1, 2])
    assert ember.autograd.gradcheck(lambda x: F.cross_entropy(x, y, weight=w, label_smoothing=0.1), (x,))
    module = ember.nn.CrossEntropyLoss(weight=w)
    assert_close(module(x, y), torch.nn.CrossEntropyLoss(weight=torch.tensor(w.numpy()))(
        torch.tensor(x.detach().numpy()), torch.tensor(y.numpy())))


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("which", ["weight", "pos_weight", "both"])
def test_bce_with_logits_weights_match_torch(dtype, reduction, which):
    rng = np.random.default_rng(7)
    x = randn((5, 3), dtype, seed=8, scale=4.0)          # large logits: the stable form matters
    y = (rng.random((5, 3)) > 0.5).astype(np.float64)
    kw = {}
    if which in ("weight", "both"):
        kw["weight"] = rng.uniform(0.5, 2.0, 3)
    if which in ("pos_weight", "both"):
        kw["pos_weight"] = rng.uniform(0.5, 3.0, 3)
    xe, xt = leaves(x)
    oe = F.binary_cross_entropy_with_logits(xe, ember.tensor(y, dtype=dtype), reduction=reduction,
                                            **{k: ember.tensor(v, dtype=dtype) for k, v in kw.items()})
    ot = TF.binary_cross_entropy_with_logits(xt, torch.tensor(y, dtype=xt.dtype), reduction=reduction,
                                             **{k: torch.tensor(v, dtype=xt.dtype) for k, v in kw.items()})
    assert_close(oe, ot)
    backward_both(oe, ot)
    assert_close(xe.grad, xt.grad)


@pytest.mark.parametrize("kwargs", [{}, dict(reduction="sum"), dict(reduction="none", label_smoothing=0.2),
                                    dict(weight=[0.5, 2.0, 1.0, 0.25, 1.5], label_smoothing=0.1)])
def test_cross_entropy_probability_targets_match_torch(kwargs):
    """A floating target holds class probabilities: values and gradients for input and target."""
    rng = np.random.default_rng(7)
    x, q = rng.standard_normal((3, 5)), rng.random((3, 5))
    out = {}
    for lib, F_ in ((ember, F), (torch, TF)):
        xl, ql = lib.tensor(x, requires_grad=True), lib.tensor(q / q.sum(1, keepdims=True), requires_grad=True)
        kw = {k: lib.tensor(v, dtype=lib.float64) if k == "weight" else v for k, v in kwargs.items()}
        loss = F_.cross_entropy(xl, ql, **kw)
        loss.sum().backward()
        out[lib] = (loss, xl.grad, ql.grad)
    for e, t in zip(out[ember], out[torch]):
        assert_close(e, t)


def test_nll_loss_with_every_target_ignored():
    """The mean over no samples is NaN, as torch's, and the gradient is 0 (it was NaN)."""
    for lib, F_ in ((ember, F), (torch, TF)):
        x = lib.zeros(2, 3, requires_grad=True)
        loss = F_.nll_loss(x, lib.tensor([1, 1]), ignore_index=1)
        loss.backward()
        assert np.isnan(loss.item()) and x.grad.abs().sum().item() == 0.0


# ---- errors

def _logits():
    return ember.zeros(3, 5)


@pytest.mark.parametrize("fn, exc, match", [
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, 7, 2])), IndexError,
     r"\[cross_entropy\] target 7 is out of bounds for 5 classes"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, -1, 2])), IndexError, r"target -1 is out of bounds"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1.0, 2.0, 3.0])), RuntimeError,
     r"\[cross_entropy\] expected a probability target of the input's shape \[3, 5\], got \[3\]"),
    (lambda: F.cross_entropy(_logits(), ember.zeros(3, 5), ignore_index=1), RuntimeError,
     r"ignore_index is not supported for floating point target"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, 2])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, 2, 3]), reduction="avg"), ValueError,
     r"avg is not a valid value for reduction"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, 2, 3]), label_smoothing=1.5), RuntimeError,
     r"label_smoothing must be between 0.0 and 1.0"),
    (lambda: F.cross_entropy(ember.zeros(3, 5, dtype=ember.int64), ember.tensor([1, 2, 3])), NotImplementedError,
     r"\[cross_entropy\] expected floating logits"),
    (lambda: F.cross_entropy(_logits(), ember.tensor([1, 2, 3]), weight=ember.ones(4)), RuntimeError,
     r"\[cross_entropy\] weight tensor should be defined either for all 5 classes"),
    (lambda: F.binary_cross_entropy_with_logits(ember.zeros(3), ember.zeros(4), pos_weight=ember.ones(3)),
     ValueError, r"Target size \(4,\) must be the same as input size \(3,\)"),
    (lambda: ember.tensor([1, 2]).softmax(0), NotImplementedError, r"\[softmax\] not implemented for ember.int64"),
    (lambda: ember.zeros(2, 3).log_softmax(2), IndexError, r"Dimension out of range"),
    (lambda: F.mse_loss(ember.zeros(3), ember.zeros(3), reduction="mean1"), ValueError,
     r"\[mse_loss\] mean1 is not a valid value for reduction"),
    (lambda: F.binary_cross_entropy_with_logits(ember.zeros(3), ember.zeros(4)), ValueError,
     r"Target size \(4,\) must be the same as input size \(3,\)"),
])
def test_loss_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
