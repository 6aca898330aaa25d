"""The CUDA kernels against their CPU twins and against PyTorch, transfers, the allocator, the
sync/transfer counters and the errors of mixing devices. Every test is marked `gpu`: it skips on
a machine without a GPU (EMBER_REQUIRE_GPU=1 makes that a failure). PyTorch's CUDA build is used
as a second oracle when the installed torch has one."""
import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, assert_no_host_traffic, torch

pytestmark = pytest.mark.gpu

FLOATS = [ember.float32, ember.float64]
# CUDA's exp/log/tanh/sin... are within 2 ulp of the host libm, not bit-identical.
TOL = {ember.float32: dict(rtol=2e-6, atol=1e-6), ember.float64: dict(rtol=1e-13, atol=1e-14)}
torch_cuda = torch.cuda.is_available()


def host(t):
    return t.cpu().numpy()


def same(gpu, cpu, dtype=None):
    """The CUDA result `gpu` equals the CPU twin's result `cpu` (exactly for ints and bools)."""
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    tol = TOL.get(dtype or cpu.dtype, dict(rtol=0, atol=0))
    np.testing.assert_allclose(host(gpu), cpu.numpy(), **tol)


def vs_torch_cuda(gpu, make_torch):
    if not torch_cuda:
        return
    t = make_torch().cpu()
    assert TORCH_DTYPE[gpu.dtype] == t.dtype
    np.testing.assert_allclose(host(gpu), t.numpy(), **TOL.get(gpu.dtype, dict(rtol=0, atol=0)))


def data(dtype, *shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == ember.bool:
        return ember.tensor(rng.random(shape) > 0.5)
    if dtype == ember.int64:
        return ember.tensor(rng.integers(-5, 6, shape))
    return ember.tensor(rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape), dtype=dtype)


BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
@pytest.mark.parametrize("op", BINARY)
def test_binary_matches_cpu_and_torch(op, dtype):
    a, b = data(dtype, 3, 4, seed=1), data(dtype, 4, seed=2)  # broadcast
    if op == "pow":
        a = a.abs() + 1
        b = b.abs()
    fn = getattr(ember, op)
    same(fn(a.cuda(), b.cuda()), fn(a, b))
    vs_torch_cuda(fn(a.cuda(), b.cuda()),
                  lambda: getattr(torch, op)(torch.from_numpy(a.numpy()).cuda(), torch.from_numpy(b.numpy()).cuda()))


@pytest.mark.parametrize("op", ["add", "mul", "maximum", "eq", "ne"])
def test_binary_bool(op):
    a, b = data(ember.bool, 5, seed=3), data(ember.bool, 5, seed=4)
    same(getattr(ember, op)(a.cuda(), b.cuda()), getattr(ember, op)(a, b))


UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs", "sin", "cos", "sign"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", UNARY)
def test_unary_matches_cpu_and_torch(op, dtype):
    x = data(dtype, 4, 5, seed=5)
    if op in ("log", "sqrt"):
        x = x.abs()
    xs = x.t()  # strided input
    fn = getattr(ember, op)
    same(fn(xs.cuda()), fn(xs))
    same(fn(x.cuda().t()), fn(xs))  # a strided CUDA input
    vs_torch_cuda(fn(x.cuda()), lambda: getattr(torch, op)(torch.from_numpy(x.numpy()).cuda()))


@pytest.mark.parametrize("op", ["neg", "abs", "sign", "relu"])
def test_unary_int64(op):
    x = data(ember.int64, 7, seed=6)
    same(getattr(ember, op)(x.cuda()), getattr(ember, op)(x))


def test_inplace_ops_on_cuda():
    x = data(ember.float32, 3, 4, seed=7)
    y = x.clone().cuda()
    y.mul_(2.0).add_(ember.ones(4).cuda()).relu_().clamp_(0.5, 2.5)
    want = x.clone()
    want.mul_(2.0).add_(ember.ones(4)).relu_().clamp_(0.5, 2.5)
    same(y, want)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.int64])
def test_clamp_and_where(dtype):
    x = data(dtype, 6, 3, seed=8)
    same(ember.clamp(x.cuda(), -1, 1), ember.clamp(x, -1, 1))
    same(ember.clamp(x.cuda(), min=0), ember.clamp(x, min=0))
    cond = data(ember.bool, 6, 1, seed=9)
    other = data(dtype, 3, seed=10)
    same(ember.where(cond.cuda(), x.cuda(), other.cuda()), ember.where(cond, x, other))


@pytest.mark.parametrize("src", [ember.float32, ember.float64, ember.int64, ember.bool])
@pytest.mark.parametrize("dst", [ember.float32, ember.float64, ember.int64, ember.bool])
def test_copy_casts_and_strides(src, dst):
    x = data(src, 4, 6, seed=11)
    same(x.cuda()[:, ::2].t().to(dst), x[:, ::2].t().to(dst))
    same(x.cuda().t().contiguous().to(dst), x.t().contiguous().to(dst))


def test_fill_factories():
    for dtype in [ember.float32, ember.float64, ember.int64, ember.bool]:
        same(ember.full((3, 2), 1, dtype=dtype, device="cuda"), ember.full((3, 2), 1, dtype=dtype))
        same(ember.zeros(5, dtype=dtype, device="cuda"), ember.zeros(5, dtype=dtype))
    assert ember.ones(2, 3, device="cuda").device == ember.device("cuda", 0)


def test_same_random_numbers_as_the_cpu_for_the_same_seed():
    for make in [lambda d: ember.rand(1000, device=d), lambda d: ember.rand(100, dtype=ember.float64, device=d),
                 lambda d: ember.randint(-7, 9, (500,), device=d),
                 lambda d: ember.empty(50, dtype=ember.float64, device=d).uniform_(-2, 3)]:
        ember.manual_seed(3)
        g = make("cuda")
        ember.manual_seed(3)
        c = make("cpu")
        # Exact: see Note [Random fills match the CPU bit for bit] (kernels/cuda/random.cu).
        assert host(g).tolist() == c.numpy().tolist()
    ember.manual_seed(4)
    g = [ember.randn(300, device="cuda"), ember.empty(40, 3, device="cuda").t().normal_(1.0, 2.0),
         ember.randn(200, dtype=ember.float64, device="cuda")]
    ember.manual_seed(4)
    c = [ember.randn(300), ember.empty(40, 3).t().normal_(1.0, 2.0), ember.randn(200, dtype=ember.float64)]
    for gi, ci in zip(g, c):
        same(gi, ci)  # Box-Muller's log/cos on the device are within an ulp of the host's


def test_transfers_round_trip():
    x = data(ember.float64, 5, 7, seed=12)
    y = x.cuda()
    assert y.is_cuda and y.device == ember.device("cuda:0") and y.dtype == x.dtype
    assert y.cuda() is y and y.to("cuda") is y
    assert np.array_equal(y.cpu().numpy(), x.numpy())
    assert np.array_equal(x.t().cuda().cpu().numpy(), x.t().numpy())  # strided source
    assert np.array_equal(y.t().cpu().numpy(), x.t().numpy())  # strided device source
    assert y.to("cpu", ember.float32).dtype == ember.float32
    assert y.tolist() == x.tolist() and y[1, 2].item() == x[1, 2].item()
    assert np.array_equal(np.asarray(y), x.numpy())
    r = repr(x)
    assert repr(y) == r[:r.index("dtype=")] + "device='cuda:0', " + r[r.index("dtype="):]
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()


def test_pinned_non_blocking_transfer():
    x = data(ember.float32, 1000, seed=13)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and np.array_equal(p.numpy(), x.numpy())
    ember.cuda.reset_transfer_stats()
    y = p.to("cuda", non_blocking=True)
    assert ember.cuda.sync_count() == 0 and ember.cuda.bytes_to_device() == 4000
    assert np.array_equal(host(y), x.numpy())


def test_copy_between_devices():
    x = data(ember.float32, 3, 4, seed=14)
    d = ember.zeros(3, 4, device="cuda")
    d.copy_(x)
    assert np.array_equal(host(d), x.numpy())
    h = ember.zeros(3, 4, dtype=ember.float64)
    h.copy_(d)
    np.testing.assert_array_equal(h.numpy(), x.numpy().astype(np.float64))


def test_a_chain_of_elementwise_ops_never_syncs_or_transfers():
    x = ember.randn(64, 64, device="cuda")
    b = ember.randn(64, device="cuda")
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    for _ in range(10):
        y = ((x * 2.0 + b).relu() - x.sigmoid()).clamp(-1, 1)
        y = ember.where(y > 0, y, x.tanh()).exp()
    assert_no_host_traffic()
    _ = y[0, 0].item()
    assert ember.cuda.sync_count() == 1 and ember.cuda.bytes_to_host() == 4


def test_allocator_reuses_memory():
    x = ember.randn(256, 256, device="cuda")
    for _ in range(10):
        (x * 2.0 + 1.0).relu()
    ember.cuda.synchronize()
    reserved = ember.cuda.memory_reserved()
    allocated = ember.cuda.memory_allocated()
    for _ in range(1000):
        (x * 2.0 + 1.0).relu()
    ember.cuda.synchronize()
    assert ember.cuda.memory_reserved() == reserved
    assert ember.cuda.memory_allocated() == allocated
    assert ember.cuda.max_memory_allocated() >= allocated + 2 * 256 * 256 * 4
    del x
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() <= reserved


def test_gradient_flows_back_across_devices():
    x = ember.ones(3, requires_grad=True)
    y = x.cuda() * 3.0
    assert y.grad_fn is not None
    y.cpu().backward(ember.ones(3))
    assert x.grad.tolist() == [3.0, 3.0, 3.0] and x.grad.device.type == "cpu"


def test_cross_device_ops_raise():
    a, b = ember.ones(2), ember.ones(2).cuda()
    with pytest.raises(RuntimeError, match=r"\[add\] expected all tensors on the same device, got cpu and cuda:0"):
        a + b
    with pytest.raises(RuntimeError, match=r"\[where\] expected all tensors on the same device"):
        ember.where(b > 0, a, a)
