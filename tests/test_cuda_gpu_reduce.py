"""The CUDA reductions, softmax, cross_entropy and pointwise losses against their CPU twins, against
PyTorch (CPU, and CUDA when the installed torch has it), forward and backward. Every test is marked
`gpu`: it skips on a machine without a GPU (EMBER_REQUIRE_GPU=1 makes that a failure)."""
import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, assert_no_host_traffic, torch

pytestmark = pytest.mark.gpu

FLOATS = [ember.float32, ember.float64]
# Sums are accumulated in different orders on the two devices (both in double for floats); the
# exps of softmax differ by an ulp or two (a polynomial on the CPU, CUDA's expf on the GPU).
TOL = {ember.float32: dict(rtol=1e-5, atol=1e-5), ember.float64: dict(rtol=1e-11, atol=1e-11)}
torch_cuda = torch.cuda.is_available()


def host(t):
    return t.detach().cpu().numpy()


def tolerance(dtype, exact=False, terms=1):
    """A float32 sum of `terms` values of size <= 2 is off by up to ~terms * eps in its last bits, so
    the absolute tolerance grows with the count (the two devices and torch add in different orders)."""
    if exact or dtype not in TOL:
        return dict(rtol=0, atol=0)
    tol = dict(TOL[dtype])
    tol["atol"] += (5e-8 if dtype == ember.float32 else 1e-15) * terms
    return tol


def same(gpu, cpu, exact=False, terms=1):
    """The CUDA result `gpu` equals the CPU twin's result `cpu` (exactly for ints, bools, indices)."""
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(host(gpu), cpu.detach().numpy(), equal_nan=True, **tolerance(cpu.dtype, exact, terms))


def vs_torch(gpu, make_torch, terms=1):
    """`make_torch(device)` computes the same with torch: on the CPU always, on CUDA when it can."""
    for device in ["cpu", "cuda"] if torch_cuda else ["cpu"]:
        t = make_torch(device).detach().cpu()
        assert TORCH_DTYPE[gpu.dtype] == t.dtype
        assert tuple(gpu.shape) == tuple(t.shape)
        np.testing.assert_allclose(host(gpu), t.numpy(), equal_nan=True, **tolerance(gpu.dtype, terms=terms))


def data(dtype, *shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == ember.bool:
        return ember.tensor(rng.random(shape) > 0.5)
    if dtype == ember.int64:
        return ember.tensor(rng.integers(-5, 6, shape))
    return ember.tensor(rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape), dtype=dtype)


def th(x, device="cpu"):
    return torch.from_numpy(x.numpy().copy()).to(device)


# Shapes and dims that reach every kernel shape: a thread per row (short rows), a warp per row, a
# block per row (>= 2048), split rows (few long rows: the sum of everything), and the column kernel
# (leading dims of a contiguous tensor), with and without its row splits.
CASES = [
    ((0,), None), ((1,), None), ((7,), None), ((5000,), None), ((300_001,), None),
    ((3, 5000), -1), ((3, 5000), 0), ((70_000, 3), -1), ((20_000, 40), 1), ((70_000, 5), 0),
    ((3000, 700), 0), ((33, 17, 5), (0, 2)), ((33, 17, 5), 1), ((2, 0, 3), 1), ((2, 0, 3), (0, 2)),
    ((1, 1, 1), None), ((4, 3, 2), (2, 0)), ((2, 2100, 3), 1), ((200, 100), 0), ((0, 3), 0),
]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
def test_sum_and_mean(dtype, shape, dim, keepdim):
    x = data(dtype, *shape, seed=len(shape))
    kw = {} if dim is None else dict(dim=dim, keepdim=keepdim)
    terms = x.numel() // max(1, x.sum(**kw).numel())
    same(x.cuda().sum(**kw), x.sum(**kw), exact=dtype == ember.int64, terms=terms)
    vs_torch(x.cuda().sum(**kw), lambda d: th(x, d).sum(**kw), terms=terms)
    if dtype != ember.int64:
        same(x.cuda().mean(**kw), x.mean(**kw))
        vs_torch(x.cuda().mean(**kw), lambda d: th(x, d).mean(**kw))


def test_sum_of_a_strided_view_and_with_dtype():
    x = data(ember.float64, 40, 30, seed=1)
    same(x.cuda().t().sum(0), x.t().sum(0))
    same(x.cuda()[::3, 1::2].sum(1), x[::3, 1::2].sum(1))
    b = data(ember.bool, 9, 1000, seed=2)
    same(b.cuda().sum(1), b.sum(1), exact=True)  # bool sums count, in int64
    i = data(ember.int64, 5, 6, seed=3)
    same(i.cuda().sum(0, dtype=ember.float32), i.sum(0, dtype=ember.float32))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [c for c in CASES if c[0] != (300_001,)] + [((300_001,), 0)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_var_and_std(dtype, shape, dim, keepdim):
    # An offset the two-pass form must not lose; smaller in float32, where torch's CUDA Welford
    # (float accumulators) would itself lose digits to it.
    x = data(dtype, *shape, seed=4) + (1000.0 if dtype == ember.float64 else 10.0)
    for correction in [0, 1]:
        kw = dict(correction=correction, keepdim=keepdim) if dim is None else dict(dim=dim, correction=correction,
                                                                                 keepdim=keepdim)
        same(x.cuda().var(**kw), x.var(**kw))
        same(x.cuda().std(**kw), x.std(**kw))
        vs_torch(x.cuda().var(**kw), lambda d: th(x, d).var(**kw))


MINMAX_CASES = [c for c in CASES if 0 not in c[0]]


@pytest.mark.parametrize("shape,dim", MINMAX_CASES)
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
def test_max_min_argmax_argmin(dtype, shape, dim):
    x = data(dtype, *shape, seed=5)  # int64 in [-5, 5]: ties everywhere, the first index must win
    xc = x.cuda()
    same(xc.amax(dim=() if dim is None else dim), x.amax(dim=() if dim is None else dim), exact=True)
    same(xc.amin(dim=() if dim is None else dim), x.amin(dim=() if dim is None else dim), exact=True)
    if dim is None or isinstance(dim, int):
        for name in ["argmax", "argmin"]:
            got = getattr(xc, name)(dim=dim)
            same(got, getattr(x, name)(dim=dim), exact=True)
            vs_torch(got, lambda d: getattr(th(x, d), name)(dim=dim))
    if isinstance(dim, int):
        for name in ["max", "min"]:
            v, i = getattr(xc, name)(dim=dim, keepdim=True)
            cv, ci = getattr(x, name)(dim=dim, keepdim=True)
            same(v, cv, exact=True)
            same(i, ci, exact=True)
    else:
        same(xc.max(), x.max(), exact=True)


@pytest.mark.parametrize("n", [5, 40, 5000, 300_001])
def test_nan_wins_and_the_first_index_is_taken(n):
    x = np.arange(n, dtype=np.float64) % 7  # ties: 6 at many places
    x[n // 2] = np.nan
    x[n - 1] = np.nan
    rows = np.stack([x, np.where(np.isnan(x), 0.0, x), -x])
    for dtype in FLOATS:
        e = ember.tensor(rows, dtype=dtype)
        for name in ["argmax", "argmin"]:
            same(getattr(e.cuda(), name)(dim=1), getattr(e, name)(dim=1), exact=True)
            vs_torch(getattr(e.cuda(), name)(dim=1), lambda d: getattr(th(e, d), name)(dim=1))
        v, i = e.cuda().max(dim=1)
        same(v, e.max(dim=1)[0], exact=True)
        same(i, e.max(dim=1)[1], exact=True)
        same(e.cuda().amin(1), e.amin(1), exact=True)


def test_max_of_bool_and_all_any():
    b = data(ember.bool, 6, 300, seed=6)
    same(b.cuda().amax(1), b.amax(1), exact=True)
    same(b.cuda().amin(0), b.amin(0), exact=True)
    for x in [b, data(ember.int64, 6, 300, seed=7), data(ember.float32, 40, 3, seed=8) * 0]:
        for kw in [{}, dict(dim=1), dict(dim=0, keepdim=True)]:
            same(x.cuda().all(**kw), x.all(**kw), exact=True)
            same(x.cuda().any(**kw), x.any(**kw), exact=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_reduction_gradients_match_cpu(dtype):
    x = data(dtype, 6, 2100, seed=9)
    x_ties = ember.tensor(np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0]]), dtype=dtype)
    runs = [
        (x, lambda t: (t.sum(1) ** 2).sum()), (x, lambda t: t.mean((0, 1))), (x, lambda t: t.var(0).sum()),
        (x, lambda t: t.std(1, correction=0).sum()), (x_ties, lambda t: t.amax(1).sum()),
        (x_ties, lambda t: (t.max(dim=1)[0] * 2).sum()), (x_ties, lambda t: t.min()),
        (x, lambda t: t.sum(0).sum()),  # the column kernel in the forward
    ]
    for src, fn in runs:
        a = src.clone().requires_grad_()
        b = src.clone().cuda().requires_grad_()
        fn(a).backward()
        fn(b).backward()
        same(b.grad, a.grad)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 5000, 3), (4, 3, 5000), (3000, 2, 7)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_and_log_softmax(dtype, shape, dim, log):
    x = data(dtype, *shape, seed=10) * 3.0
    fn = ember.log_softmax if log else ember.softmax
    tfn = torch.log_softmax if log else torch.softmax
    same(fn(x.cuda(), dim), fn(x, dim))
    vs_torch(fn(x.cuda(), dim), lambda d: tfn(th(x, d), dim))
    a = x.clone().requires_grad_()
    b = x.clone().cuda().requires_grad_()
    w = data(dtype, *shape, seed=11)
    (fn(a, dim) * w).sum().backward()
    (fn(b, dim) * w.cuda()).sum().backward()
    same(b.grad, a.grad)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows_with_inf_and_nan(log):
    inf, nan = float("inf"), float("nan")
    rows = [[1.0, 2.0, 3.0, -inf], [-inf] * 4, [1.0, inf, 2.0, 0.0], [1.0, nan, 2.0, 0.0], [inf, inf, 1.0, 1.0]]
    fn = ember.log_softmax if log else ember.softmax
    for dtype in FLOATS:
        for n in [4, 3000]:  # a warp per row, a block per row
            x = ember.tensor(np.tile(np.array(rows), (1, n // 4)), dtype=dtype)
            same(fn(x.cuda(), 1), fn(x, 1))
            same(fn(x.cuda().t().contiguous(), 0), fn(x.t().contiguous(), 0))  # the column kernel


def ce_inputs(dtype, n, classes, seed, extra=()):
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.normal(0, 2, (n, classes) + extra), dtype=dtype)
    t = ember.tensor(rng.integers(0, classes, (n,) + extra))
    return x, t


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("n,classes,extra", [(7, 5, ()), (300, 10, ()), (5, 3000, ()), (4, 6, (3, 2)), (0, 4, ())])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_forward_and_backward(dtype, n, classes, extra, smoothing, reduction):
    x, t = ce_inputs(dtype, n, classes, seed=n + classes, extra=extra)
    if t.numel() > 2:
        t[1] = -100  # ignore_index
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    F = ember.nn.functional
    a = x.clone().requires_grad_()
    b = x.clone().cuda().requires_grad_()
    la, lb = F.cross_entropy(a, t, **kw), F.cross_entropy(b, t.cuda(), **kw)
    same(lb, la)
    vs_torch(lb, lambda d: torch.nn.functional.cross_entropy(th(x, d), th(t, d), **kw))
    g = data(dtype, *lb.shape, seed=12) if reduction == "none" else None
    la.backward(g)
    lb.backward(None if g is None else g.cuda())
    same(b.grad, a.grad)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_gradient_is_softmax_minus_onehot(dtype):
    x, t = ce_inputs(dtype, 64, 2500, seed=13)
    xc = x.cuda().requires_grad_()
    ember.nn.functional.cross_entropy(xc, t.cuda(), reduction="sum").backward()
    onehot = np.eye(2500)[t.numpy()]
    np.testing.assert_allclose(host(xc.grad), host(ember.softmax(x.cuda(), 1)) - onehot, **TOL[dtype])


def test_cross_entropy_all_ignored_mean_is_nan_with_zero_grad():
    x, _ = ce_inputs(ember.float32, 4, 3, seed=14)
    xc = x.cuda().requires_grad_()
    loss = ember.nn.functional.cross_entropy(xc, ember.full((4,), -100, dtype=ember.int64, device="cuda"))
    loss.backward()
    assert np.isnan(loss.item()) and not host(xc.grad).any()


def test_cross_entropy_double_backward_matches_cpu():
    x, t = ce_inputs(ember.float64, 6, 5, seed=15)
    t[2] = -100
    grads = []
    for device in ["cpu", "cuda"]:
        xd = x.clone().to(device).requires_grad_()
        loss = ember.nn.functional.cross_entropy(xd, t.to(device), label_smoothing=0.1)
        (gx,) = ember.autograd.grad(loss, xd, create_graph=True)
        (gx ** 2).sum().backward()
        grads.append((gx, xd.grad))
    same(grads[1][0].detach(), grads[0][0].detach())
    same(grads[1][1], grads[0][1])


def test_cross_entropy_bad_target_is_raised_at_the_next_sync():
    x, t = ce_inputs(ember.float32, 8, 5, seed=16)
    t[3] = 7
    loss = ember.nn.functional.cross_entropy(x.cuda(), t.cuda())  # queued: no error, no sync yet
    with pytest.raises(IndexError, match=r"\[cross_entropy\] index 7 is out of bounds for size 5"):
        loss.item()
    t[3] = -1
    rows = ember.nn.functional.cross_entropy(x.cuda(), t.cuda(), reduction="none")
    with pytest.raises(IndexError, match=r"\[cross_entropy\] index -1 is out of bounds for size 5"):
        rows.cpu()
    t[3] = 2  # the report was cleared: a good call works again
    same(ember.nn.functional.cross_entropy(x.cuda(), t.cuda()), ember.nn.functional.cross_entropy(x, t))


def test_a_training_step_of_cross_entropy_never_syncs():
    x, t = ce_inputs(ember.float32, 128, 10, seed=17)
    xc, tc = x.cuda().requires_grad_(), t.cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    for _ in range(3):
        loss = ember.nn.functional.cross_entropy(xc, tc)
        loss.backward()
        _ = ember.softmax(xc, 1).amax(1).sum() + xc.var(0).mean()
    assert_no_host_traffic()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_mse_and_bce_with_logits(dtype, reduction):
    F = ember.nn.functional
    x, y = data(dtype, 30, 7, seed=18) * 3, data(dtype, 7, seed=19)
    p = ember.tensor((np.random.default_rng(20).random((30, 7)) > 0.5).astype(np.float64), dtype=dtype)
    runs = [(F.mse_loss, x, y, torch.nn.functional.mse_loss),  # the target broadcasts
            (F.binary_cross_entropy_with_logits, x, p, torch.nn.functional.binary_cross_entropy_with_logits)]
    for fn, a0, b0, tfn in runs:
        a, b = a0.clone().requires_grad_(), b0.clone().requires_grad_()
        ac, bc = a0.clone().cuda().requires_grad_(), b0.clone().cuda().requires_grad_()
        lc, lg = fn(a, b, reduction=reduction), fn(ac, bc, reduction=reduction)
        same(lg, lc)
        vs_torch(lg, lambda d: tfn(th(a0, d), th(b0, d), reduction=reduction))
        w = data(dtype, *lc.shape, seed=21)
        (lc * w).sum().backward()
        (lg * w.cuda()).sum().backward()
        same(ac.grad, a.grad)
        same(bc.grad, b.grad)


def test_reductions_of_cuda_tensors_stay_on_the_device():
    x = data(ember.float32, 5, 6, seed=22).cuda()
    for y in [x.sum(), x.mean(1), x.var(0), x.amax(1), x.argmax(), ember.softmax(x, 0), x.all()]:
        assert y.device == ember.device("cuda:0")
