"""The CUDA twins of the index kernels (gather/scatter_add, index_select/index_add, nonzero, the
tensor-index paths of x[...] and x[...] = v) and of the activations (gelu, leaky_relu, dropout),
against their CPU twins and PyTorch's CUDA build when there is one. Indices out of range are
checked on the device and raise IndexError at the next sync (Note [Errors found by kernels]).
Every test is marked `gpu`: it skips without a GPU (EMBER_REQUIRE_GPU=1 makes that a failure)."""
import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, assert_no_host_traffic, torch

pytestmark = pytest.mark.gpu

FLOATS = [ember.float32, ember.float64]
DTYPES = [ember.float32, ember.float64, ember.int64]
# CUDA's erf/tanh/exp are within a few ulp of the host libm, and atomics add in any order.
TOL = {ember.float32: dict(rtol=1e-5, atol=1e-6), ember.float64: dict(rtol=1e-12, atol=1e-13)}
torch_cuda = torch.cuda.is_available()
F = ember.nn.functional


def host(t):
    return t.detach().cpu().numpy()


def same(gpu, cpu, dtype=None):
    """The CUDA result `gpu` equals the CPU twin's result `cpu` (exactly for ints and bools)."""
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    np.testing.assert_allclose(host(gpu), cpu.detach().numpy(), **TOL.get(dtype or cpu.dtype, dict(rtol=0, atol=0)))


def vs_torch_cuda(gpu, make_torch):
    if not torch_cuda:
        return
    t = make_torch().detach().cpu()
    assert TORCH_DTYPE[gpu.dtype] == t.dtype and tuple(gpu.shape) == tuple(t.shape)
    np.testing.assert_allclose(host(gpu), t.numpy(), **TOL.get(gpu.dtype, dict(rtol=0, atol=0)))


def tc(t):
    """The torch CUDA tensor with t's values."""
    return torch.from_numpy(host(t).copy()).cuda()


def data(dtype, *shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == ember.int64:
        return ember.tensor(rng.integers(-50, 50, shape))
    return ember.tensor(rng.standard_normal(shape), dtype=dtype)


def index(high, *shape, seed=1):
    return ember.tensor(np.random.default_rng(seed).integers(0, high, shape))


GATHER_CASES = [((6, 5), 0, (4, 5)), ((6, 5), 1, (6, 8)), ((5, 3), 1, (5, 1)), ((3, 4, 5), 2, (2, 4, 7)),
                ((3, 4, 5), -3, (6, 2, 5)), ((7,), 0, (9,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim,ishape", GATHER_CASES)
def test_gather_and_scatter_add(shape, dim, ishape, dtype):
    x, i = data(dtype, *shape), index(shape[dim], *ishape)
    xt = data(dtype, *reversed(shape), seed=2).permute(*reversed(range(len(shape))))  # strided, same shape
    for src, idx in [(x, i), (xt, i)]:
        same(ember.gather(src.cuda(), dim, idx.cuda()), ember.gather(src, dim, idx))
        vs_torch_cuda(ember.gather(src.cuda(), dim, idx.cuda()), lambda: torch.gather(tc(src), dim, tc(idx)))
        values = data(dtype, *ishape, seed=3)  # random indices repeat: duplicates accumulate
        got = ember.scatter_add(src.cuda(), dim, idx.cuda(), values.cuda())
        same(got, ember.scatter_add(src, dim, idx, values))
        vs_torch_cuda(got, lambda: tc(src).scatter_add(dim, tc(idx), tc(values)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((6, 5), 0), ((6, 5), 1), ((3, 4, 5), 1), ((3, 4, 5), -1), ((8,), 0)])
def test_index_select_and_index_add(shape, dim, dtype):
    x = data(dtype, *shape)
    i = index(x.shape[dim], 11)  # 11 picks from at most 8 rows: duplicates
    got = ember.index_select(x.cuda(), dim, i.cuda())
    same(got, ember.index_select(x, dim, i))
    vs_torch_cuda(got, lambda: torch.index_select(tc(x), dim, tc(i)))
    src_shape = list(shape)
    src_shape[dim] = 11
    src = data(dtype, *src_shape, seed=4)
    got = x.cuda().index_add(dim, i.cuda(), src.cuda())
    same(got, x.index_add(dim, i, src))
    vs_torch_cuda(got, lambda: tc(x).index_add(dim, tc(i), tc(src)))


def test_bool_gather_and_scatter():
    x = ember.tensor(np.random.default_rng(0).random((4, 6)) > 0.5)
    i = index(6, 4, 3)
    same(ember.gather(x.cuda(), 1, i.cuda()), ember.gather(x, 1, i))
    rows = ember.tensor([3, 0, 3])
    same(ember.index_select(x.cuda(), 0, rows.cuda()), ember.index_select(x, 0, rows))
    values = ember.tensor(np.random.default_rng(1).random((4, 3)) > 0.5)  # bool + bool is "or"
    same(ember.scatter_add(x.cuda(), 1, i.cuda(), values.cuda()), ember.scatter_add(x, 1, i, values))
    same(x.cuda().index_add(0, rows.cuda(), x[:3].cuda()), x.index_add(0, rows, x[:3]))


def test_many_duplicates_accumulate_exactly_in_int64():
    n = 100_000
    i = ember.zeros(n, dtype=ember.int64).cuda()
    v = ember.ones(n, dtype=ember.int64).cuda()
    out = ember.scatter_add(ember.zeros(3, dtype=ember.int64).cuda(), 0, i, v)
    assert out.tolist() == [n, 0, 0]
    out = ember.zeros(2, dtype=ember.int64).cuda().index_add(0, i, v - 3)  # negative sums: two's complement
    assert out.tolist() == [-2 * n, 0]


@pytest.mark.parametrize("dtype", FLOATS)
def test_index_op_gradients_on_cuda(dtype):
    x = data(dtype, 5, 4)
    i = index(5, 3, 4)
    j = index(4, 6)
    grads = []
    for dev in ["cpu", "cuda"]:
        xd = x.detach().to(dev).requires_grad_()  # a leaf on each device
        y, z = ember.gather(xd, 0, i.to(dev)) * 2, ember.index_select(xd, 1, j.to(dev))
        ember.autograd.backward([y, z], [ember.ones_like(y), ember.ones_like(z)])
        grads.append(xd.grad)
    same(grads[1], grads[0])


@pytest.mark.parametrize("make", [
    lambda x: ember.gather(x, 0, ember.tensor([[0, 5]]).cuda()),
    lambda x: ember.scatter_add(x, 1, ember.tensor([[-1]]).cuda(), ember.ones(1, 1).cuda()),
    lambda x: ember.index_select(x, 0, ember.tensor([1, -1]).cuda()),   # negatives are rejected, as in torch
    lambda x: x.index_add(1, ember.tensor([2, 9]).cuda(), ember.ones(3, 2).cuda()),
])
def test_bad_indices_raise_at_the_next_sync(make):
    x = ember.ones(3, 4).cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    out = make(x)  # queued: checking on the host would need a sync
    assert ember.cuda.sync_count() == 0
    with pytest.raises(IndexError, match=r"index -?\d+ is out of bounds for size \d+ \(found on cuda:0"):
        out.cpu()
    assert (x + 1)[2, 3].item() == 2.0  # reported once, then cleared


def test_index_ops_do_not_sync():
    x = data(ember.float32, 64, 32).cuda().requires_grad_()
    i, j, cols = index(64, 16).cuda(), index(32, 64, 4).cuda(), index(32, 4, 1).cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    ys = [x[i], ember.gather(x, 1, j), x.index_select(0, i)]
    ember.autograd.backward(ys, [ember.ones_like(y) for y in ys])
    z = x.detach().clone()
    z[i] = 0.0
    z[i, cols] = 1.0  # (16,) and (4, 1) broadcast to (4, 16)
    assert_no_host_traffic()


@pytest.mark.parametrize("shape", [(5,), (3, 7), (4, 1, 6), (3000, 3), (2, 5000)])
def test_nonzero_and_masks(shape):
    mask = ember.tensor(np.random.default_rng(0).random(shape) < 0.4)
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    got = mask.cuda().nonzero()
    assert ember.cuda.sync_count() == 1  # the count, as PyTorch
    same(got, mask.nonzero())
    vs_torch_cuda(got, lambda: torch.nonzero(tc(mask)))
    x = data(ember.float64, *shape)
    for m in [mask.cuda(), mask]:  # a CPU mask of a CUDA tensor is allowed, as in PyTorch
        same(x.cuda()[m], x[mask])
        y = x.cuda()
        y[m] = -1.0
        expected = x.clone()
        expected[mask] = -1.0
        same(y, expected)
    same(ember.zeros(0, 3, dtype=ember.bool).cuda().nonzero(), ember.zeros(0, 3, dtype=ember.bool).nonzero())
    same(ember.zeros(4, dtype=ember.bool).cuda().nonzero(), ember.zeros(4, dtype=ember.bool).nonzero())


KEYS = [
    lambda i, j: i,
    lambda i, j: (i, j),
    lambda i, j: (slice(None), j),
    lambda i, j: (i, slice(1, None), j),
    lambda i, j: (Ellipsis, j),
    lambda i, j: (0, slice(None), j),
    lambda i, j: ([0, 2, -1],),
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("index_device", ["cuda", "cpu"])
def test_python_indexing_and_setitem(key, index_device):
    i = ember.tensor([[0, -1], [2, 1]]).to(index_device)
    j = ember.tensor([1, -4]).to(index_device)
    x = data(ember.float64, 3, 5, 4)
    k = key(i, j)
    kc = key(i.cpu(), j.cpu())
    same(x.cuda()[k], x[kc])
    if torch_cuda:
        tk = tuple(tc(e) if isinstance(e, ember.Tensor) else e for e in (kc if isinstance(kc, tuple) else (kc,)))
        vs_torch_cuda(x.cuda()[k], lambda: tc(x)[tk])
    value = data(ember.float64, *x[kc].shape, seed=5)
    y, expected = x.cuda(), x.clone()
    y[k] = value.cuda()
    expected[kc] = value
    same(y, expected)
    xg = x.cuda().requires_grad_()
    yg = xg[k] * 3
    yg.backward(ember.ones_like(yg))
    xc = x.clone().requires_grad_()
    yc = xc[kc] * 3
    yc.backward(ember.ones_like(yc))
    same(xg.grad, xc.grad)


def test_index_errors_on_cuda():
    x = ember.ones(3, 4).cuda()
    with pytest.raises(RuntimeError, match=r"indices should be either on cpu or on the same device"):
        ember.ones(3)[ember.tensor([0]).cuda()]
    with pytest.raises(RuntimeError, match=r"\[gather\] expected all tensors on the same device"):
        ember.gather(x, 0, ember.tensor([[0]]))
    out = x[ember.tensor([0, 3]).cuda()]
    with pytest.raises(IndexError, match=r"\[index\] index 3 is out of bounds for size 3"):
        out.cpu()
    x[ember.tensor([-4]).cuda()] = 2.0
    with pytest.raises(IndexError, match=r"\[index\] index -4 is out of bounds for size 3"):
        ember.cuda.synchronize()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_forward_and_backward(dtype, approximate):
    x = data(dtype, 7, 9) * 3
    xg, xc = x.cuda().requires_grad_(), x.clone().requires_grad_()
    y, yc = F.gelu(xg, approximate), F.gelu(xc, approximate)
    same(y, yc)
    vs_torch_cuda(y, lambda: torch.nn.functional.gelu(tc(x), approximate=approximate))
    g = data(dtype, 7, 9, seed=6)
    y.backward(g.cuda())
    yc.backward(g)
    same(xg.grad, xc.grad)
    if torch_cuda:
        xt = tc(x).requires_grad_()
        torch.nn.functional.gelu(xt, approximate=approximate).backward(tc(g))
        vs_torch_cuda(xg.grad, lambda: xt.grad)
    # double backward (create_graph) through the CUDA kernels
    xg2 = x.cuda().requires_grad_()
    ones = ember.ones(7, 9, dtype=dtype)
    (gx,) = ember.autograd.grad(F.gelu(xg2, approximate), [xg2], ones.cuda(), create_graph=True)
    gx.backward(g.cuda())
    xc2 = x.clone().requires_grad_()
    (gxc,) = ember.autograd.grad(F.gelu(xc2, approximate), [xc2], ones, create_graph=True)
    gxc.backward(g)
    same(xg2.grad, xc2.grad)


@pytest.mark.parametrize("dtype", FLOATS)
def test_leaky_relu_forward_and_backward(dtype):
    x = data(dtype, 5, 6)
    xg, xc = x.cuda().requires_grad_(), x.clone().requires_grad_()
    y, yc = F.leaky_relu(xg, 0.2), F.leaky_relu(xc, 0.2)
    same(y, yc)
    vs_torch_cuda(y, lambda: torch.nn.functional.leaky_relu(tc(x), 0.2))
    y.backward(ember.ones_like(y))
    yc.backward(ember.ones_like(yc))
    same(xg.grad, xc.grad)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.1, 0.5, 1.0])
def test_dropout_drops_the_same_elements_as_the_cpu(dtype, p):
    x = data(dtype, 33, 65) + 10  # no zeros in x: a zero of the output is a dropped element
    ember.manual_seed(7)
    xg = x.cuda().requires_grad_()
    y = F.dropout(xg, p)
    ember.manual_seed(7)
    xc = x.clone().requires_grad_()
    yc = F.dropout(xc, p)
    same(y, yc)
    assert np.array_equal(host(y) == 0, yc.detach().numpy() == 0)
    g = data(dtype, 33, 65, seed=8)
    y.backward(g.cuda())
    yc.backward(g)
    same(xg.grad, xc.grad)
    assert F.dropout(xg, p, training=False) is xg


@pytest.mark.parametrize("make", [
    lambda device: ember.arange(2, 11, 3, device=device),
    lambda device: ember.arange(5.0, dtype=ember.float64, device=device),
    lambda device: ember.linspace(-1, 1, 7, device=device),
    lambda device: ember.eye(3, 4, device=device),
    lambda device: (ember.manual_seed(3), ember.randperm(9, device=ember.device(device)))[1],
])
def test_host_built_factories_on_cuda_do_not_sync(make):
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    got = make("cuda")
    assert ember.cuda.sync_count() == 0
    same(got, make("cpu"))


def test_dataloader_over_a_cuda_dataset():
    x, y = data(ember.float32, 10, 3).cuda(), index(4, 10).cuda()
    loader = ember.data.DataLoader(ember.data.TensorDataset(x, y), batch_size=4, shuffle=True)
    seen = []
    for xb, yb in loader:
        assert xb.device.type == "cuda" and yb.device.type == "cuda"
        seen.append(host(xb))
    assert sorted(map(tuple, np.concatenate(seen).tolist())) == sorted(map(tuple, host(x).tolist()))
