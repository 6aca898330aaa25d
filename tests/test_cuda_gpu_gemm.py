"""The CUDA GEMM (csrc/kernels/cuda/gemm.cu) against its CPU twin and PyTorch: matmul / mm / bmm
over every shape class (square, tall, wide, ragged edges, K = 1, M = 1, batched, broadcast
batches, transposed views), float32 / float64 / int64, and Linear (forward, fused bias + ReLU,
backward) up to a 2-layer MLP's gradients. Every test is marked `gpu`: it skips on a machine
without a GPU (EMBER_REQUIRE_GPU=1 makes that a failure)."""
import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, assert_no_host_traffic, torch

pytestmark = pytest.mark.gpu

# The CUDA kernels sum K products in another order than the CPU's blocked GEMM: compare with a
# tolerance that grows with K (float32 rounding ~ sqrt(K) * eps relative to the row norms).
TOL = {ember.float32: dict(rtol=2e-5, atol=2e-5), ember.float64: dict(rtol=1e-12, atol=1e-12),
       ember.int64: dict(rtol=0, atol=0)}
torch_cuda = torch.cuda.is_available()


def host(t):
    return t.detach().cpu().numpy()


def data(dtype, *shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == ember.int64:
        return ember.tensor(rng.integers(-5, 6, shape))
    return ember.tensor(rng.uniform(-1.0, 1.0, shape), dtype=dtype)


def tol(dtype, k):
    t = dict(TOL[dtype])
    if dtype == ember.float32:
        t["atol"] = 2e-6 * max(k, 1) ** 0.5 * 4
    return t


def same(gpu, cpu, k=1):
    """The CUDA result equals the CPU twin's (exactly for integers)."""
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(host(gpu), cpu.detach().numpy(), **tol(cpu.dtype, k))


def vs_torch_cuda(gpu, a, b, k=1, fn=torch.matmul):
    if not torch_cuda or gpu.dtype == ember.int64:  # torch has no integer matmul on CUDA
        return
    t = fn(torch.from_numpy(a.numpy()).cuda(), torch.from_numpy(b.numpy()).cuda()).cpu()
    assert TORCH_DTYPE[gpu.dtype] == t.dtype
    np.testing.assert_allclose(host(gpu), t.numpy(), **tol(gpu.dtype, k))


SHAPES = [  # (a shape, b shape): every class of edge the tiles see
    ((64, 64), (64, 64)),          # inside one tile
    ((256, 256), (256, 256)),      # whole 128 x 128 tiles, K a multiple of 8
    ((300, 200), (200, 130)),      # ragged tiles in M, N and K
    ((1000, 33), (33, 10)),        # tall, N = 10
    ((3, 2), (2, 10)),             # K = 2, N = 10
    ((1, 77), (77, 129)),          # M = 1
    ((129, 1), (1, 65)),           # K = 1
    ((17, 3), (3, 1)),             # N = 1
    ((5, 0), (0, 4)),              # K = 0: zeros
    ((0, 4), (4, 3)),              # M = 0
    ((13, 7), (7,)),               # matrix @ vector
    ((7,), (7, 9)),                # vector @ matrix
    ((7,), (7,)),                  # dot
]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
@pytest.mark.parametrize("sa, sb", SHAPES)
def test_matmul_shapes(dtype, sa, sb):
    a, b = data(dtype, *sa, seed=1), data(dtype, *sb, seed=2)
    out = ember.matmul(a.cuda(), b.cuda())
    same(out, ember.matmul(a, b), k=sa[-1])
    vs_torch_cuda(out, a, b, k=sa[-1])


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("m, k, n", [(131, 37, 67), (128, 64, 128), (4, 9, 10)])
def test_all_transposes_via_t_views(dtype, ta, tb, m, k, n):
    # A transposed operand is a .t() view of a device tensor: the kernel reads it in place.
    a_mem = data(dtype, k, m, seed=3) if ta else data(dtype, m, k, seed=3)
    b_mem = data(dtype, n, k, seed=4) if tb else data(dtype, k, n, seed=4)
    a, b = (a_mem.t() if ta else a_mem), (b_mem.t() if tb else b_mem)
    ag, bg = (a_mem.cuda().t() if ta else a_mem.cuda()), (b_mem.cuda().t() if tb else b_mem.cuda())
    assert ag.is_contiguous() != ta and bg.is_contiguous() != tb
    out = ag @ bg
    same(out, a @ b, k=k)
    vs_torch_cuda(out, a.contiguous(), b.contiguous(), k=k)


def test_unaligned_views_take_the_scalar_path():
    # A column slice starts 4 bytes into a row and has an odd leading dimension: no float4 loads.
    a, b = data(ember.float32, 70, 41, seed=5), data(ember.float32, 41, 131, seed=6)
    ag, bg = a.cuda()[:, 1:], b.cuda()[1:, 3:]
    out = ag @ bg
    same(out, a[:, 1:] @ b[1:, 3:], k=40)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
@pytest.mark.parametrize("sa, sb", [
    ((4, 33, 17), (4, 17, 20)),         # bmm
    ((2, 1, 40, 9), (3, 9, 130)),       # broadcast batches
    ((3, 5, 12, 8), (8, 6)),            # batch @ matrix (batch dims merged)
    ((1, 7, 3), (6, 3, 2)),             # a broadcast single matrix
])
def test_batched_and_broadcast(dtype, sa, sb):
    a, b = data(dtype, *sa, seed=7), data(dtype, *sb, seed=8)
    out = ember.matmul(a.cuda(), b.cuda())
    same(out, ember.matmul(a, b), k=sa[-1])
    vs_torch_cuda(out, a, b, k=sa[-1])
    if len(sa) == 3 and len(sb) == 3 and sa[0] == sb[0]:
        same(ember.bmm(a.cuda(), b.cuda()), ember.bmm(a, b), k=sa[-1])


def test_permuted_batch_and_mm_methods():
    a = data(ember.float32, 3, 4, 20, 9, seed=9).permute(1, 0, 2, 3)
    b = data(ember.float32, 4, 3, 11, 9, seed=10).transpose(-1, -2)
    ag = data(ember.float32, 3, 4, 20, 9, seed=9).cuda().permute(1, 0, 2, 3)
    bg = data(ember.float32, 4, 3, 11, 9, seed=10).cuda().transpose(-1, -2)
    same(ag @ bg, a @ b, k=9)
    m1, m2 = data(ember.float64, 9, 5, seed=11), data(ember.float64, 5, 4, seed=12)
    same(m1.cuda().mm(m2.cuda()), m1.mm(m2), k=5)


def test_matmul_backward_matches_cpu():
    a = data(ember.float64, 2, 5, 7, seed=13).requires_grad_()
    b = data(ember.float64, 7, 3, seed=14).requires_grad_()
    ag = a.detach().cuda().requires_grad_()
    bg = b.detach().cuda().requires_grad_()
    g = data(ember.float64, 2, 5, 3, seed=15)
    ember.matmul(a, b).backward(g)
    ember.matmul(ag, bg).backward(g.cuda())
    same(ag.grad, a.grad, k=7)
    same(bg.grad, b.grad, k=10)


def test_large_sgemm_matches_torch_cuda():
    a, b = data(ember.float32, 1024, 512, seed=16), data(ember.float32, 512, 768, seed=17)
    out = a.cuda() @ b.cuda()
    vs_torch_cuda(out, a, b, k=512)
    # And against the float64 product: the float32 kernel's error is rounding, not a wrong index.
    exact = a.numpy().astype(np.float64) @ b.numpy().astype(np.float64)
    np.testing.assert_allclose(host(out), exact, rtol=1e-4, atol=1e-4)


def test_device_mismatch_errors():
    a = ember.ones(2, 2)
    with pytest.raises(RuntimeError, match=r"\[matmul\] expected all tensors on the same device, got cpu and cuda:0"):
        ember.matmul(a, a.cuda())
    with pytest.raises(RuntimeError, match=r"\[linear\] expected all tensors on the same device"):
        ember.nn.functional.linear(a.cuda(), a)
    with pytest.raises(RuntimeError, match=r"\[linear\] expected all tensors on the same device"):
        ember.nn.functional.linear(a.cuda(), a.cuda(), ember.ones(2))


# ------------------------------------------------------------------ Linear


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(37, 20), (2, 3, 20), (20,), (1, 20)])
def test_linear_forward_and_backward(dtype, fused, bias, x_shape):
    F = ember.nn.functional
    fn = F.linear_relu if fused else F.linear
    x = data(dtype, *x_shape, seed=20).requires_grad_()
    w = data(dtype, 130, 20, seed=21).requires_grad_()
    b = data(dtype, 130, seed=22).requires_grad_() if bias else None
    xg, wg = x.detach().cuda().requires_grad_(), w.detach().cuda().requires_grad_()
    bg = b.detach().cuda().requires_grad_() if bias else None
    y, yg = fn(x, w, b), fn(xg, wg, bg)
    same(yg, y, k=20)
    g = data(dtype, *y.shape, seed=23)
    y.backward(g)
    yg.backward(g.cuda())
    same(xg.grad, x.grad, k=130)
    same(wg.grad, w.grad, k=37 * 6)
    if bias:
        same(bg.grad, b.grad, k=37 * 6)
    if torch_cuda:
        tx = torch.from_numpy(x.detach().numpy()).cuda()
        tw = torch.from_numpy(w.detach().numpy()).cuda()
        tb = torch.from_numpy(b.detach().numpy()).cuda() if bias else None
        ty = torch.nn.functional.linear(tx, tw, tb)
        np.testing.assert_allclose(host(yg), (ty.relu() if fused else ty).cpu().numpy(), **tol(dtype, 20))


def test_sequential_linear_relu_runs_fused_on_cuda():
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(24, 48), ember.nn.ReLU(), ember.nn.Linear(48, 5))
    x = data(ember.float32, 64, 24, seed=24)
    y_cpu = net(x)
    y_cpu.sum().backward()
    cpu_grads = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    net.cuda()
    y = net(x.cuda())
    same(y, y_cpu, k=48)
    y.sum().backward()
    for p, gc in zip(net.parameters(), cpu_grads):
        assert p.grad.device.type == "cuda"
        same(p.grad, gc, k=64)


def test_two_layer_mlp_grads_match_torch():
    rng = np.random.default_rng(25)
    shapes = [(32, 10), (32,), (3, 32), (3,)]
    params = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in shapes]
    x = rng.standard_normal((50, 10)).astype(np.float32)
    ep = [ember.tensor(p).cuda().requires_grad_() for p in params]
    F = ember.nn.functional
    out = F.linear(F.linear(ember.tensor(x).cuda(), ep[0], ep[1]).relu(), ep[2], ep[3])
    (out * out).sum().backward()
    tp = [torch.from_numpy(p).requires_grad_() for p in params]
    tout = torch.nn.functional.linear(torch.nn.functional.linear(torch.from_numpy(x), tp[0], tp[1]).relu(), tp[2], tp[3])
    (tout * tout).sum().backward()
    np.testing.assert_allclose(host(out), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(host(e.grad), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_gemm_never_syncs_or_transfers():
    a = ember.randn(300, 200, device="cuda")
    b = ember.randn(200, 100, device="cuda")
    w = ember.randn(100, 200, device="cuda")
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    _ = a @ b
    _ = ember.nn.functional.linear_relu(a, w, None)
    assert_no_host_traffic()
