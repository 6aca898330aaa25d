"""The CPU kernels' SIMD paths (Note [Runtime ISA dispatch]): every path the CPU supports is
forced in turn with _C._set_cpu_isa and checked against NumPy (float64 references) and torch."""
import numpy as np
import pytest

import ember
from ember import _C
from conftest import torch, to_torch, assert_close

ISAS = ["portable", "avx2", "avx512"]
RANK = {name: i for i, name in enumerate(ISAS)}


@pytest.fixture(params=ISAS)
def isa(request):
    if RANK[request.param] > RANK[_C._detected_cpu_isa()]:
        pytest.skip(f"this CPU has no {request.param}")
    _C._set_cpu_isa(request.param)
    yield request.param
    _C._set_cpu_isa(_C._detected_cpu_isa())


def rng(seed=0):
    return np.random.default_rng(seed)


def test_set_cpu_isa_errors():
    with pytest.raises(ValueError, match=r"\[_set_cpu_isa\] unknown ISA 'sse9'"):
        _C._set_cpu_isa("sse9")
    assert _C._cpu_isa() == _C._detected_cpu_isa()


def _operand(a, trans):
    """An ember tensor whose value is `a`, stored transposed when `trans` (a strided view)."""
    return ember.tensor(np.ascontiguousarray(a.T)).t() if trans else ember.tensor(a)


# Sizes cover: K = 0 and 1, tiles smaller than one register tile, ragged edges of every
# tile size, the unpacked small path, the blocked path, and the threaded path (> 2^20 flops).
GEMM_SHAPES = [(1, 1, 1), (3, 5, 0), (4, 7, 1), (100, 16, 2), (64, 64, 64), (65, 33, 17), (7, 129, 3),
               (130, 70, 300), (257, 131, 45), (33, 520, 70)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_all_transposes(isa, dtype):
    g = rng(1)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for m, n, k in GEMM_SHAPES:
        a = g.standard_normal((m, k)).astype(dtype)
        b = g.standard_normal((k, n)).astype(dtype)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        for ta in (False, True):
            for tb in (False, True):
                out = (_operand(a, ta) @ _operand(b, tb)).numpy()
                assert out.dtype == dtype and out.shape == (m, n)
                scale = np.abs(a).max(initial=0) * np.abs(b).max(initial=0) * max(k, 1)
                np.testing.assert_allclose(out, ref, rtol=0, atol=tol * max(scale, 1),
                                           err_msg=f"{m}x{n}x{k} ta={ta} tb={tb}")


def test_linear_accumulates_into_bias(isa):
    # linear prefills the output with the bias and runs the GEMM with beta = 1.
    g = rng(2)
    x, w, b = g.standard_normal((37, 50)), g.standard_normal((19, 50)), g.standard_normal(19)
    for dt in (np.float32, np.float64):
        xe, we, be = (ember.tensor(v.astype(dt), requires_grad=True) for v in (x, w, b))
        xt, wt, bt = (to_torch(v).detach().requires_grad_() for v in (xe, we, be))
        ye = ember.nn.functional.linear(xe, we, be)
        yt = torch.nn.functional.linear(xt, wt, bt)
        assert_close(ye, yt)
        ye.sum().backward()
        yt.sum().backward()
        for e, t in ((xe, xt), (we, wt), (be, bt)):
            assert_close(e.grad, t.grad)


def test_exp_and_sigmoid_match_numpy(isa):
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 88.72, 88.73, -87.3, -103.9, -104.0, -150.0, 1e-8]
    x = np.concatenate([np.linspace(-100, 89, 100_003), special]).astype(np.float32)
    e = ember.tensor(x).exp().numpy()
    ref = np.exp(x.astype(np.float64))
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(e, ref.astype(np.float32), rtol=3e-7, atol=1e-44)
    s = ember.tensor(x).sigmoid().numpy()
    with np.errstate(over="ignore"):
        ref_s = 1.0 / (1.0 + np.exp(-x.astype(np.float64)))
    # Below x = -88.7, exp(-x) overflows float32 and 1 / (1 + inf) = 0 (as with std::exp):
    # the true results there are denormals under 3e-39.
    np.testing.assert_allclose(s, ref_s.astype(np.float32), rtol=3e-7, atol=3e-39)
    # A strided view goes through the element-wise loop with the same formula (the SIMD builds
    # contract it into FMAs, so the last bit may differ).
    strided = ember.tensor(x[: 2 * 5001].reshape(5001, 2)).t()
    np.testing.assert_allclose(strided.exp().numpy(), e[: 2 * 5001].reshape(5001, 2).T, rtol=3e-7, atol=1e-44)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_rows(isa, log):
    g = rng(3)
    a = (g.standard_normal((67, 1003)) * 30).astype(np.float32)
    a[3, 5] = np.inf
    a[4, :] = -np.inf
    a[5, 7] = np.nan
    a[6, :] = -1e30
    a[6, 9] = 10.0
    xe, xt = ember.tensor(a), to_torch(ember.tensor(a))
    ye = xe.log_softmax(1) if log else xe.softmax(1)
    yt = xt.log_softmax(1) if log else xt.softmax(1)
    assert_close(ye, yt)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_forward_backward(isa, smoothing):
    g = rng(4)
    a = (g.standard_normal((129, 1000)) * 5).astype(np.float32)
    t = g.integers(0, 1000, 129)
    t[7] = -100
    xe = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    le = ember.nn.functional.cross_entropy(xe, ember.tensor(t), label_smoothing=smoothing)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(t), label_smoothing=smoothing)
    assert_close(le, lt)
    le.backward()
    lt.backward()
    assert_close(xe.grad, xt.grad)


def test_sums_are_accurate(isa):
    g = rng(5)
    big = (g.random(3_000_001) + 100).astype(np.float32)  # long rows, split across threads
    np.testing.assert_allclose(ember.tensor(big).sum().item(), big.astype(np.float64).sum(), rtol=1e-6)
    m = g.standard_normal((517, 300)).astype(np.float32) + 10
    ref0, ref1 = m.astype(np.float64).sum(0), m.astype(np.float64).sum(1)
    np.testing.assert_allclose(ember.tensor(m).sum(0).numpy(), ref0, rtol=1e-6)
    np.testing.assert_allclose(ember.tensor(m).sum(1).numpy(), ref1, rtol=1e-6)
    np.testing.assert_allclose(ember.tensor(m).mean(1).numpy(), ref1 / 300, rtol=1e-6)
    np.testing.assert_allclose(ember.tensor(m).var(1).numpy(), m.astype(np.float64).var(1, ddof=1), rtol=1e-5)
    ints = g.integers(-1000, 1000, (33, 77))
    np.testing.assert_array_equal(ember.tensor(ints).sum(0).numpy(), ints.sum(0))
    np.testing.assert_array_equal(ember.tensor(ints).sum(1).numpy(), ints.sum(1))


def test_argmax_first_index_and_nan(isa):
    a = np.zeros((4, 37), dtype=np.float32)
    a[0, [3, 20]] = 5.0           # ties: the first index wins
    a[1, [2, 30]] = np.nan        # NaN wins, first NaN's index
    a[1, 5] = 9.0
    a[2, 36] = 1.0                # in the scalar tail
    a[3, :] = -np.inf
    e = ember.tensor(a)
    t = to_torch(e)
    assert e.argmax(1).tolist() == t.argmax(1).tolist() == [3, 2, 36, 0]
    assert e.argmin(1).tolist() == t.argmin(1).tolist()
    assert_close(e.amax(1), t.amax(1))
    assert_close(e.amin(1), t.amin(1))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threaded_gemm_after_fork():
    # A forked child (a DataLoader worker) has none of the parent's pool threads: its threaded
    # GEMMs must still finish (Note [Caller-completes tasks]).
    import os
    a = ember.tensor(rng(6).standard_normal((300, 300)).astype(np.float32))
    ref = (a @ a).numpy()
    pid = os.fork()
    if pid == 0:
        ok = np.allclose((a @ a).numpy(), ref, rtol=1e-5, atol=1e-4)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert status == 0
