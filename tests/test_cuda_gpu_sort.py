"""The CUDA scans, prod, sort family, searchsorted and multinomial against their CPU twins,
forward and backward (kernels/cuda/{scan,sort,multinomial}.cu, prod in reduce.cu). Every test is
marked `gpu`: it skips on a machine without a GPU (EMBER_REQUIRE_GPU=1 makes that a failure)."""
import numpy as np
import pytest

import ember
from conftest import torch  # noqa: F401  (the suite's oracle; imported for its skip when missing)

pytestmark = pytest.mark.gpu

FLOATS = [ember.float32, ember.float64]
TOL = {ember.float32: dict(rtol=1e-5, atol=1e-5), ember.float64: dict(rtol=1e-11, atol=1e-11)}


def pair(shape, dtype, kind="normal", seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if kind == "ties":
        a = np.round(a * 1.5)
    elif kind == "nan" and a.size:
        a.flat[::5] = np.nan
    np_dtype = {ember.float32: np.float32, ember.float64: np.float64, ember.int64: np.int64}[dtype]
    if dtype == ember.int64:
        a = np.round(a * 10)
    a = a.astype(np_dtype)
    c = ember.tensor(a, requires_grad=dtype in FLOATS)
    g = ember.tensor(a, requires_grad=dtype in FLOATS, device="cuda")
    return c, g


def same(gpu, cpu, exact=False):
    assert gpu.device.type == "cuda" and cpu.device.type == "cpu"
    assert gpu.dtype == cpu.dtype and tuple(gpu.shape) == tuple(cpu.shape)
    tol = dict(rtol=0, atol=0) if exact or cpu.dtype not in TOL else TOL[cpu.dtype]
    np.testing.assert_allclose(gpu.detach().cpu().numpy(), cpu.detach().numpy(), equal_nan=True, **tol)


OPS = {
    "cumsum": lambda x: x.cumsum(-1),
    "cumsum0": lambda x: x.cumsum(0),
    "cumprod": lambda x: x.cumprod(-1),
    "logcumsumexp": lambda x: x.logcumsumexp(1),
    "prod_all": lambda x: x.prod(),
    "prod_dim": lambda x: x.prod(1),
    "sort": lambda x: x.sort(dim=-1, stable=True),
    "sort_desc0": lambda x: x.sort(0, descending=True),
    "topk": lambda x: x.topk(3),
    "kthvalue": lambda x: x.kthvalue(2, 0),
    "median": lambda x: x.median(-1),
    "median_all": lambda x: x.median(),
}


@pytest.mark.parametrize("kind", ["normal", "ties", "nan"])
@pytest.mark.parametrize("shape", [(5, 9), (3, 300), (2, 1031)], ids=str)
@pytest.mark.parametrize("dtype", FLOATS, ids=["f32", "f64"])
@pytest.mark.parametrize("name", OPS)
def test_against_cpu_twin(name, dtype, shape, kind):
    c, g = pair(shape, dtype, kind)
    rc, rg = OPS[name](c), OPS[name](g)
    rc, rg = (list(rc), list(rg)) if isinstance(rc, tuple) else ([rc], [rg])
    for a, b in zip(rg, rc):
        # Indices of tied or NaN elements are the same too: both twins give the stable order.
        same(a, b, exact=a.dtype == ember.int64)
    up = np.random.default_rng(1).standard_normal(tuple(rc[0].shape)).astype(np.float64)
    rc[0].backward(ember.tensor(up, dtype=dtype))
    rg[0].backward(ember.tensor(up, dtype=dtype, device="cuda"))
    same(g.grad, c.grad)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "prod_dim", "sort", "topk"])
def test_int64(name):
    c, g = pair((4, 70), ember.int64)
    rc, rg = OPS[name](c), OPS[name](g)
    rc, rg = (list(rc), list(rg)) if isinstance(rc, tuple) else ([rc], [rg])
    for a, b in zip(rg, rc):
        same(a, b, exact=True)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize(right):
    seq = np.sort(np.round(np.random.default_rng(0).standard_normal((3, 50)) * 3), axis=1)
    vals = np.round(np.random.default_rng(1).standard_normal((3, 20)) * 3)
    for s in [seq, seq[0]]:
        c = ember.searchsorted(ember.tensor(s), ember.tensor(vals), right=right)
        g = ember.searchsorted(ember.tensor(s, device="cuda"), ember.tensor(vals, device="cuda"), right=right)
        same(g, c, exact=True)
    c = ember.bucketize(ember.tensor(vals), ember.tensor(seq[0]), right=right)
    g = ember.bucketize(ember.tensor(vals, device="cuda"), ember.tensor(seq[0], device="cuda"), right=right)
    same(g, c, exact=True)


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_same_draws_as_cpu(replacement):
    """The counter-based generator gives the same samples on both devices for the same seed."""
    p = np.abs(np.random.default_rng(2).standard_normal((4, 30)))
    p[:, ::7] = 0
    c = ember.multinomial(ember.tensor(p), 10, replacement, generator=ember.Generator().manual_seed(11))
    g = ember.multinomial(ember.tensor(p, device="cuda"), 10, replacement,
                          generator=ember.Generator("cuda").manual_seed(11))
    same(g, c, exact=True)
    with pytest.raises(RuntimeError, match="element < 0"):
        ember.multinomial(ember.tensor([-1.0, 1.0], device="cuda"), 1)
