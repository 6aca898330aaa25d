"""The CPU side of the GEMM entry points that the CUDA GEMM shares its index arithmetic with
(csrc/kernels/gemm_indexing.h): the integer GEMM's element addressing under every transpose
flag, the batch offsets of broadcast / permuted / merged batch dims, and the Linear epilogue.
These run without a GPU; tests/test_cuda_gpu_gemm.py checks the CUDA twin against them."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch


def rand(shape, dtype=ember.float64, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == ember.int64:
        return ember.tensor(rng.integers(-4, 5, shape))
    return ember.tensor(rng.standard_normal(shape), dtype=dtype)


def view(x, transposed):
    """x itself, or the same values read through a transposed view (strides swapped)."""
    return x.t().contiguous().t() if transposed else x


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("dtype", [ember.int64, ember.float32, ember.float64])
def test_every_transpose_combination(dtype, ta, tb):
    a, b = rand((5, 3), dtype, 1), rand((3, 7), dtype, 2)
    av, bv = view(a, ta), view(b, tb)
    assert av.is_contiguous() != ta and bv.is_contiguous() != tb
    assert_close(av @ bv, to_torch(a) @ to_torch(b))


@pytest.mark.parametrize("sa, sb", [
    ((2, 1, 3, 4), (5, 4, 2)),        # broadcast on both sides
    ((4, 3, 2, 5, 3), (3, 4)),        # 2-D right operand, three batch dims merged into one
    ((1, 1, 2, 3), (2, 1, 1, 3, 2)),  # size-1 dims dropped
    ((0, 3, 4), (0, 4, 2)),           # an empty batch
    ((3, 2, 0), (3, 0, 4)),           # K = 0: zeros
])
@pytest.mark.parametrize("dtype", [ember.int64, ember.float64])
def test_broadcast_batches(dtype, sa, sb):
    a, b = rand(sa, dtype, 3), rand(sb, dtype, 4)
    assert_close(ember.matmul(a, b), torch.matmul(to_torch(a), to_torch(b)))


def test_permuted_batch_dims_that_cannot_merge():
    a = rand((3, 4, 2, 5), seed=5).permute(1, 0, 2, 3)  # batch strides (10, 40): not mergeable
    b = rand((4, 1, 5, 6), seed=6)
    assert_close(ember.matmul(a, b), torch.matmul(to_torch(a), to_torch(b)))
    bt = rand((4, 3, 6, 5), seed=7).transpose(-1, -2)  # transposed matrices inside a batch
    assert_close(ember.matmul(a, bt), torch.matmul(to_torch(a), to_torch(bt)))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_linear_epilogue(dtype, bias):
    x, w = rand((6, 4), dtype, 8), rand((3, 4), dtype, 9)
    b = rand((3,), dtype, 10) if bias else None
    tb = to_torch(b) if bias else None
    expected = torch.nn.functional.linear(to_torch(x), to_torch(w), tb)
    assert_close(ember.nn.functional.linear(x, w, b), expected)
    assert_close(ember.nn.functional.linear_relu(x, w, b), expected.relu())


def test_gpu_benchmark_skips_cleanly_without_a_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present: the benchmark would run for real")
    import os
    import subprocess
    import sys
    root = os.path.join(os.path.dirname(__file__), "..")
    r = subprocess.run([sys.executable, os.path.join(root, "bench", "gpu_gemm.py"), "--sizes", "64"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("skipped: "), (r.stdout, r.stderr)
