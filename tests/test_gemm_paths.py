"""The GEMM's narrow and threaded paths (Note [Narrow GEMM], Note [GEMM threading] in
csrc/kernels/cpu/gemm.cpp) against float64 NumPy, under every ISA this CPU has, for all four
transpose combinations, float32 and float64, with ragged edges and sizes of 1, 2, 10, 17."""
import numpy as np
import pytest

import ember
from ember import _C

ISAS = ["portable", "avx2", "avx512"]
RANK = {name: i for i, name in enumerate(ISAS)}


@pytest.fixture(params=ISAS)
def isa(request):
    if RANK[request.param] > RANK[_C._detected_cpu_isa()]:
        pytest.skip(f"this CPU has no {request.param}")
    _C._set_cpu_isa(request.param)
    yield request.param
    _C._set_cpu_isa(_C._detected_cpu_isa())


def _operand(a, trans):
    """An ember tensor whose value is `a`, stored transposed when `trans` (a strided view)."""
    return ember.tensor(np.ascontiguousarray(a.T)).t() if trans else ember.tensor(a)


def _check(m, n, k, dtype, seed=0):
    g = np.random.default_rng(seed)
    a = g.standard_normal((m, k)).astype(dtype)
    b = g.standard_normal((k, n)).astype(dtype)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    tol = (2e-5 if dtype == np.float32 else 1e-12) * max(np.abs(a).max(initial=0) * np.abs(b).max(initial=0) * k, 1)
    for ta in (False, True):
        for tb in (False, True):
            out = (_operand(a, ta) @ _operand(b, tb)).numpy()
            assert out.dtype == dtype and out.shape == (m, n)
            np.testing.assert_allclose(out, ref, rtol=0, atol=tol, err_msg=f"{m}x{n}x{k} ta={ta} tb={tb}")


# N of 1, 2, 10, 16 (one AVX-512 vector of floats), 17 and 32 (one panel of the main tile);
# M of 1, 2, 17, 255 (ragged against 12- and 16-row tiles); K of 1, 10, 17, 300 and 520 (the
# narrow path does not block K; the blocked path's kc is 256).
NARROW = [(1, 1, 1), (2, 10, 1), (17, 10, 17), (255, 10, 300), (64, 2, 520), (130, 16, 70), (33, 17, 10),
          (40, 32, 33), (7, 9, 2)]
# Above 2^20 multiply-adds: threaded. Narrow N split along M; M-split main path (many tasks);
# N-split path (M under two tiles per thread); an odd K past kc.
THREADED = [(300, 10, 400), (1030, 16, 70), (257, 131, 45), (10, 700, 300), (301, 77, 517)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_n_all_transposes(isa, dtype):
    for i, (m, n, k) in enumerate(NARROW):
        _check(m, n, k, dtype, seed=i)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_paths_all_transposes(isa, dtype):
    for i, (m, n, k) in enumerate(THREADED):
        _check(m, n, k, dtype, seed=10 + i)


def test_narrow_output_layer_matches_torch():
    """The classifier's output layer, forward and both gradients, against torch (float32)."""
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(3)
    h_np = g.standard_normal((256, 512)).astype(np.float32)
    w_np = (g.standard_normal((512, 10)) * 0.05).astype(np.float32)
    gy_np = g.standard_normal((256, 10)).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        h = lib.tensor(h_np, requires_grad=True)
        w = lib.tensor(w_np, requires_grad=True)
        y = h @ w
        y.backward(lib.tensor(gy_np))
        outs.append([t.detach().numpy() for t in (y, h.grad, w.grad)])
    for got, want in zip(*outs):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
