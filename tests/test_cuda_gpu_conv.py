"""conv2d and the 2-D pools on CUDA against their CPU twins and PyTorch (CUDA when the installed
torch has it, else its CPU), forward and every gradient, plus the CNN layers training on the GPU.
Every test is marked `gpu`: it skips on a machine without a GPU (EMBER_REQUIRE_GPU=1 makes that a
failure)."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from conftest import torch

pytestmark = pytest.mark.gpu

TF = torch.nn.functional
TOL = {ember.float32: dict(rtol=1e-4, atol=2e-5), ember.float64: dict(rtol=1e-10, atol=1e-11)}
torch_cuda = torch.cuda.is_available()


def arrays(dtype, *shapes):
    rng = np.random.default_rng(len(shapes))
    np_dtype = np.float32 if dtype == ember.float32 else np.float64
    return [rng.standard_normal(s).astype(np_dtype) for s in shapes]


def run(lib, fn, data, device, grad_seed=3):
    """fn(*leaves) on `device` with lib (ember or torch); the output and every leaf's grad, on the host."""
    leaves = [lib.tensor(a).to(device).requires_grad_(True) for a in data]
    out = fn(*leaves)
    g = np.random.default_rng(grad_seed).standard_normal(tuple(out.shape)).astype(data[0].dtype)
    out.backward(lib.tensor(g).to(device))
    return [out.detach().cpu().numpy()] + [leaf.grad.cpu().numpy() for leaf in leaves]


def agree(a, b, dtype):
    """Close relative to the largest magnitude: a weight gradient sums thousands of products, in a
    different order on each device."""
    assert a.shape == b.shape
    tol = TOL[dtype]
    scale = np.nanmax(np.abs(b)) if b.size else 0.0
    np.testing.assert_allclose(a, b, equal_nan=True, rtol=0, atol=tol["atol"] + tol["rtol"] * scale)


def check(fe, ft, data, dtype):
    cpu = run(ember, fe, data, "cpu")
    gpu = run(ember, fe, data, "cuda")
    for a, b in zip(gpu, cpu):  # the CUDA twins against the CPU ones
        agree(a, b, dtype)
    ref = run(torch, ft, data, "cuda" if torch_cuda else "cpu")
    for a, b in zip(gpu, ref):
        agree(a, b, dtype)


CONV = [((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
        ((2, 4, 11, 9), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
        ((1, 4, 7, 8), (8, 1, 3, 3), dict(padding="same", groups=4)),
        ((3, 5, 6, 6), (4, 5, 1, 1), {}),
        ((64, 16, 14, 14), (32, 16, 3, 3), dict(padding=1))]  # large enough for many blocks


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
@pytest.mark.parametrize("xs,ws,kw", CONV)
def test_conv2d_cuda(xs, ws, kw, dtype):
    data = arrays(dtype, xs, ws, (ws[0],))
    check(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), data, dtype)


POOLS = [
    (lambda f: lambda x: f.max_pool2d(x, 2)),
    (lambda f: lambda x: f.max_pool2d(x, 3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True)),
    (lambda f: lambda x: f.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (lambda f: lambda x: f.avg_pool2d(x, 2, stride=1, divisor_override=3)),
    (lambda f: lambda x: f.adaptive_avg_pool2d(x, (3, 4))),
    (lambda f: lambda x: f.adaptive_avg_pool2d(x, (11, 13))),
]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64], ids=str)
@pytest.mark.parametrize("make", POOLS)
@pytest.mark.parametrize("shape", [(2, 3, 9, 7), (3, 10, 8), (16, 32, 28, 28)])
def test_pools_cuda(make, shape, dtype):
    check(make(F), make(TF), arrays(dtype, shape), dtype)


def test_max_pool2d_cuda_indices_and_nan():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 9)).round()  # ties
    x[0, 0, 1, 1] = x[1, 2, 4, 4] = np.nan
    ve, ie = F.max_pool2d(ember.tensor(x).cuda(), 3, stride=2, padding=1, return_indices=True)
    vt, it = TF.max_pool2d(torch.tensor(x), 3, stride=2, padding=1, return_indices=True)
    np.testing.assert_array_equal(ve.cpu().numpy(), vt.numpy())
    np.testing.assert_array_equal(ie.cpu().numpy(), it.numpy())


def test_cnn_trains_on_cuda():
    ember.manual_seed(0)
    nn = ember.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)).to("cuda")
    x = ember.randn(32, 1, 8, 8).cuda()
    y = ember.randint(0, 10, (32,)).cuda()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("fn", [
    lambda x, w: F.conv2d(x, w),
    lambda x, w: F.conv2d(x, w.cpu(), ember.randn(4).cuda()),
])
def test_conv2d_device_mismatch_raises(fn):
    with pytest.raises(RuntimeError, match=r"^\[conv2d\] expected all tensors on the same device"):
        fn(ember.randn(1, 3, 8, 8).cuda(), ember.randn(4, 3, 3, 3))
