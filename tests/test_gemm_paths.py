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


# ---------------------------------------------------------------- where (Note [Branch-free select])

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
@pytest.mark.parametrize("n", [1, 17, 300_001])  # 300_001 > 2^18: the parallel flat loop
def test_where_fast_paths_match_numpy(dtype, n):
    g = np.random.default_rng(n)
    cond = g.random(n) < 0.5
    a = (g.standard_normal(n) * 10).astype(dtype)
    b = (g.standard_normal(n) * 10).astype(dtype)
    if dtype in (np.float32, np.float64) and n > 4:
        a[:4] = [np.nan, np.inf, -np.inf, -0.0]
        b[:4] = [-0.0, np.nan, 1.0, np.inf]
        cond[:4] = [True, False, True, True]
    c_e, a_e, b_e = ember.tensor(cond), ember.tensor(a), ember.tensor(b)
    cases = [(a_e, b_e, a, b), (a_e, ember.tensor(b[:1]), a, b[:1]), (ember.tensor(a[:1]), b_e, a[:1], b)]
    for x_e, y_e, x, y in cases:
        got = ember.where(c_e, x_e, y_e).numpy()
        want = np.where(cond, x, y)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        if dtype in (np.float32, np.float64):
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    # Rows of a 2-D broadcast (a row vector against a column of conditions) take the per-row path.
    m = max(n // 100, 1)
    cond2 = g.random((m, 7)) < 0.5
    row = a[:7] if n >= 7 else np.resize(a, 7)
    got = ember.where(ember.tensor(cond2), ember.tensor(row), ember.tensor(b[:1])).numpy()
    np.testing.assert_array_equal(got, np.where(cond2, row, b[:1]))


def test_relu_backward_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(5)
    x_np = g.standard_normal((256, 512)).astype(np.float32)
    x_np[0, :3] = 0.0  # ReLU'(0) = 0 in both
    gy_np = g.standard_normal((256, 512)).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(x_np, requires_grad=True)
        x.relu().backward(lib.tensor(gy_np))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
