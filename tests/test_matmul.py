"""matmul / mm / bmm against PyTorch and NumPy: every shape case, grads, gradcheck, errors."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch

DTYPES = [ember.float32, ember.float64]
NP = {ember.float32: np.float32, ember.float64: np.float64}


def pair(shape, dtype, seed, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape).astype(NP[dtype])
    e = ember.from_numpy(arr.copy())
    if requires_grad:
        e.requires_grad_(True)
    return e, to_torch(e)


SHAPES = [
    ((4,), (4,)),              # dot: 0-d
    ((3, 4), (4,)),            # matrix-vector
    ((4,), (4, 5)),            # vector-matrix
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),       # batched with a broadcast 2-D operand
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 6)), # batch dims broadcast (2,1) x (5,) -> (2,5)
    ((1, 3, 4), (2, 4, 5)),
    ((0, 4), (4, 5)),          # empty
    ((3, 0), (0, 5)),          # K = 0 gives zeros
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_matches_torch_values_and_grads(dtype, sa, sb):
    a, ta = pair(sa, dtype, 0)
    b, tb = pair(sb, dtype, 1)
    out, tout = a @ b, ta @ tb
    assert_close(out, tout, rtol=1e-4 if dtype == ember.float32 else 1e-10, atol=1e-5 if dtype == ember.float32 else 1e-12)
    g, tg = pair(tuple(tout.shape), dtype, 2, requires_grad=False)
    out.backward(g)
    tout.backward(tg)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == ember.float32 else {}
    assert_close(a.grad, ta.grad, **tol)
    assert_close(b.grad, tb.grad, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transposed_and_strided_inputs(dtype):
    a, ta = pair((5, 7), dtype, 3)
    b, tb = pair((6, 5), dtype, 4)
    # a.t() has strides (1, 7): read in place; b[:, ::2] has neither stride 1: copied.
    out = a.t() @ b.t()
    assert_close(out, ta.t() @ tb.t(), rtol=1e-4, atol=1e-5)
    c, tc = pair((6, 4, 5), dtype, 5)
    out2 = c.transpose(0, 2)[::2] @ b[:, ::2]
    assert_close(out2, tc.transpose(0, 2)[::2] @ tb[:, ::2], rtol=1e-4, atol=1e-5)
    e, te = pair((3, 1), dtype, 6)
    assert_close(e.expand(3, 7) @ a.t(), te.expand(3, 7) @ ta.t(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("m,k,n", [(257, 129, 65), (512, 512, 512), (1, 300, 1), (7, 1, 9), (130, 17, 250)])
def test_large_gemm_against_numpy(m, k, n):
    rng = np.random.default_rng(m * k + n)
    for npdt, rtol in [(np.float32, 1e-4), (np.float64, 1e-11)]:
        a = rng.standard_normal((m, k)).astype(npdt)
        b = rng.standard_normal((k, n)).astype(npdt)
        out = (ember.from_numpy(a) @ ember.from_numpy(b)).numpy()
        ref = a.astype(np.float64) @ b.astype(np.float64)
        np.testing.assert_allclose(out, ref, rtol=rtol, atol=rtol * np.sqrt(k) * 10)
        # transposed operands take the kernel's other packing path
        out_t = (ember.from_numpy(np.ascontiguousarray(a.T)).t() @ ember.from_numpy(np.ascontiguousarray(b.T)).t())
        np.testing.assert_allclose(out_t.numpy(), ref, rtol=rtol, atol=rtol * np.sqrt(k) * 10)


def test_int64_matmul():
    a = ember.tensor([[1, 2], [3, 4], [5, 6]])
    b = ember.tensor([[7, 8, 9], [10, 11, 12]])
    out = a @ b
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), a.numpy() @ b.numpy())
    np.testing.assert_array_equal((a[:, 0] @ a[:, 1]).numpy(), np.int64(1 * 2 + 3 * 4 + 5 * 6))


def test_linear_layer_backward_hand_worked():
    # y = x @ W.T + b, loss = sum(y): dW = ones.T @ x, db = N * ones, dx = ones @ W
    N, fin, fout = 4, 3, 2
    x = ember.arange(N * fin, dtype=ember.float64).reshape(N, fin).requires_grad_(True)
    W = (ember.arange(fout * fin, dtype=ember.float64).reshape(fout, fin) * 0.5).requires_grad_(True)
    b = ember.zeros(fout, dtype=ember.float64).requires_grad_(True)
    (x @ W.t() + b).sum().backward()
    xn, Wn = x.detach().numpy(), W.detach().numpy()
    np.testing.assert_allclose(W.grad.numpy(), np.ones((N, fout)).T @ xn)
    np.testing.assert_allclose(b.grad.numpy(), np.full(fout, N))
    np.testing.assert_allclose(x.grad.numpy(), np.ones((N, fout)) @ Wn)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 2)), ((2, 1, 1, 3), (4, 3, 2)), ((3,), (3, 2)), ((3,), (3,))])
def test_gradcheck(sa, sb):
    a, _ = pair(sa, ember.float64, 7)
    b, _ = pair(sb, ember.float64, 8)
    assert ember.autograd.gradcheck(lambda x, y: x @ y, (a, b))


def test_double_backward_through_matmul():
    a, ta = pair((3, 4), ember.float64, 9)
    b, tb = pair((4, 2), ember.float64, 10)
    (ga,) = ember.autograd.grad(((a @ b) ** 2).sum(), [a], create_graph=True)
    (gb,) = ember.autograd.grad(ga.sum(), [b])
    (tga,) = torch.autograd.grad(((ta @ tb) ** 2).sum(), [ta], create_graph=True)
    (tgb,) = torch.autograd.grad(tga.sum(), [tb])
    assert_close(gb, tgb)


def test_mm_bmm_and_methods():
    a, ta = pair((2, 3, 4), ember.float32, 11)
    b, tb = pair((2, 4, 5), ember.float32, 12)
    assert_close(ember.bmm(a, b), torch.bmm(ta, tb), rtol=1e-5, atol=1e-5)
    assert_close(a.bmm(b), ta.bmm(tb), rtol=1e-5, atol=1e-5)
    assert_close(ember.mm(a[0], b[0]), torch.mm(ta[0], tb[0]), rtol=1e-5, atol=1e-5)
    assert_close(a[0].mm(b[0]), ta[0].mm(tb[0]), rtol=1e-5, atol=1e-5)
    assert_close(ember.matmul(a, b), torch.matmul(ta, tb), rtol=1e-5, atol=1e-5)
    assert_close(a.matmul(b[0]), ta.matmul(tb[0]), rtol=1e-5, atol=1e-5)


def test_errors():
    with pytest.raises(RuntimeError, match=r"\[matmul\] shapes \(3, 4\) and \(5, 6\) cannot be multiplied"):
        ember.zeros(3, 4) @ ember.zeros(5, 6)
    with pytest.raises(RuntimeError, match=r"shapes \(3,\) and \(4,\) cannot be multiplied"):
        ember.zeros(3) @ ember.zeros(4)
    with pytest.raises(RuntimeError, match=r"float32.*float64"):
        ember.zeros(2, 2) @ ember.zeros(2, 2, dtype=ember.float64)
    with pytest.raises(RuntimeError, match=r"at least 1D"):
        ember.zeros(()) @ ember.zeros(2)
    with pytest.raises(RuntimeError, match=r"matmul.*cannot be broadcast"):  # as PyTorch
        ember.zeros(2, 3, 4) @ ember.zeros(3, 4, 5)
    with pytest.raises(RuntimeError, match=r"\[mm\] self must be a matrix"):
        ember.mm(ember.zeros(2, 2, 2), ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"\[mm\] shapes \(2, 3\) and \(2, 3\) cannot be multiplied"):
        ember.mm(ember.zeros(2, 3), ember.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"\[bmm\] batch1 must be a 3D tensor"):
        ember.bmm(ember.zeros(2, 2), ember.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"\[bmm\] batch sizes must match"):
        ember.bmm(ember.zeros(2, 2, 2), ember.zeros(3, 2, 2))
    for fn in [lambda b: b @ b, lambda b: ember.mm(b, b), lambda b: ember.mv(b, b[0]), lambda b: ember.addmm(b, b, b)]:
        with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):  # as PyTorch
            fn(ember.ones(2, 2, dtype=ember.bool))


def test_integer_addmm_takes_integer_scalars():
    """PyTorch truncates beta/alpha for integer tensors: addmm(a, a, a, beta=1.5, alpha=2.7) is a + 2 (a @ a)."""
    a = [[1, 2], [3, 4]]
    for beta, alpha in [(0.5, 2), (1.5, 2.7), (1, 1)]:
        mine = ember.addmm(ember.tensor(a), ember.tensor(a), ember.tensor(a), beta=beta, alpha=alpha)
        theirs = torch.addmm(torch.tensor(a), torch.tensor(a), torch.tensor(a), beta=beta, alpha=alpha)
        assert_close(mine, theirs)
        t3 = torch.tensor([a])
        assert_close(ember.baddbmm(ember.tensor([a]), ember.tensor([a]), ember.tensor([a]), beta=beta, alpha=alpha),
                     torch.baddbmm(t3, t3, t3, beta=beta, alpha=alpha))
