"""Shared test helpers: PyTorch as the oracle, conversions both ways, and the gpu marker."""
import os

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

TOL = {ember.float32: dict(rtol=1e-5, atol=1e-6), ember.float64: dict(rtol=1e-10, atol=1e-12)}
TORCH_DTYPE = {ember.float32: torch.float32, ember.float64: torch.float64,
               ember.int64: torch.int64, ember.bool: torch.bool}


def to_torch(t, requires_grad=None):
    """A torch tensor with the same values (and requires_grad) as the ember tensor `t`."""
    out = torch.from_numpy(t.detach().numpy().copy())
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def assert_close(e, t, dtype=None, **kw):
    """ember tensor `e` equals torch tensor `t` in shape, dtype and values."""
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} vs torch {tuple(t.shape)}"
    assert TORCH_DTYPE[e.dtype] == t.dtype, f"dtype {e.dtype} vs torch {t.dtype}"
    tol = dict(TOL.get(dtype or e.dtype, dict(rtol=0, atol=0)))
    tol.update(kw)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)


def pytest_runtest_setup(item):
    """`gpu` tests skip without a GPU, and fail instead when EMBER_REQUIRE_GPU=1."""
    if "gpu" not in item.keywords or ember.cuda.is_available():
        return
    if os.environ.get("EMBER_REQUIRE_GPU") == "1":
        pytest.fail("EMBER_REQUIRE_GPU=1 but ember.cuda.is_available() is False")
    pytest.skip("needs a CUDA GPU")
