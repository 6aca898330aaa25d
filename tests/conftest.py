"""Shared test helpers: PyTorch as the oracle, conversions both ways, and the gpu marker."""
import os
import re

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # the oracle, not a dependency: without it the comparisons are left out (below)
    torch = None

TOL = {ember.float32: dict(rtol=1e-5, atol=1e-6), ember.float64: dict(rtol=1e-10, atol=1e-12)}
TORCH_DTYPE = {} if torch is None else {ember.float32: torch.float32, ember.float64: torch.float64,
                                         ember.int64: torch.int64, ember.int32: torch.int32, ember.bool: torch.bool}
_LEFT_OUT = []
# A test file that compares with PyTorch: it imports torch, uses torch.*, or takes the torch-based
# helpers of this conftest.
_USES_TORCH = re.compile(r"^\s*(import torch|from torch)|\btorch\.|^from conftest import[^\n]*"
                         r"\b(torch|to_torch|assert_close|TORCH_DTYPE)\b", re.M)


_SIBLING_IMPORT = re.compile(r"^\s*from (\w+) import|^\s*import (\w+)", re.M)


def _uses_torch(path, seen=()):
    """Whether `path`, or a module of tests/ it imports (test_function, op_db ...), uses PyTorch."""
    text = path.read_text(encoding="utf-8")
    if _USES_TORCH.search(text):
        return True
    for m in _SIBLING_IMPORT.finditer(text):
        sibling = path.parent / f"{m.group(1) or m.group(2)}.py"
        if sibling.exists() and sibling not in seen and sibling.name != "conftest.py" and \
                _uses_torch(sibling, seen + (path,)):
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    """Without PyTorch the test files that use it are left out (and counted in the header),
    instead of the whole run stopping at this conftest."""
    if torch is None and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        if _uses_torch(collection_path):
            _LEFT_OUT.append(collection_path.name)
            return True
    return None


def pytest_report_collectionfinish(config, start_path, items):
    if _LEFT_OUT:
        return [f"PyTorch is not installed: {len(_LEFT_OUT)} test files that compare with it were left out "
                f"(pip install torch==2.13.0 to run them)"]
    return []


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


def error_of(f):
    """(type, message) of the exception f() raises, or (None, None): to compare with torch's."""
    try:
        f()
    except Exception as e:  # noqa: BLE001  (the oracle's error is whatever torch raises)
        return type(e), str(e)
    return None, None


def assert_no_host_traffic():
    """No host-device sync and no byte moved since the last ember.cuda.reset_transfer_stats()."""
    stats = ember.cuda.transfer_stats()
    assert (stats["syncs"], stats["bytes_to_device"], stats["bytes_to_host"]) == (0, 0, 0), stats


def gpu_steps(n):
    """How many steps a long gpu test runs: n on a GPU; on the emulated device (EMBER_CUDA=EMU, every
    kernel a loop on the CPU) a fifth of it, so CI stays short, unless EMBER_EMU_FULL=1."""
    if ember.cuda.is_available() and ember.cuda.is_emulated() and os.environ.get("EMBER_EMU_FULL") != "1":
        return max(1, n // 5)
    return n


def pytest_runtest_setup(item):
    """`gpu` tests skip without a GPU, and fail instead when EMBER_REQUIRE_GPU=1."""
    if "gpu" not in item.keywords or ember.cuda.is_available():
        return
    if os.environ.get("EMBER_REQUIRE_GPU") == "1":
        pytest.fail("EMBER_REQUIRE_GPU=1 but ember.cuda.is_available() is False")
    pytest.skip("needs a CUDA GPU")
