"""float32 matmul accuracy against float64 at long inner dimensions (Note [K in panels] in
kernels/cpu/gemm.cpp): on every GEMM path (narrow, small, blocked) and every transpose, ember's
relative error stays within 2x of PyTorch's, for K up to 10^6."""
import numpy as np
import pytest
from conftest import torch

import ember


def _rel_err(out, ref):
    return float(np.linalg.norm(out.astype(np.float64) - ref) / np.linalg.norm(ref))


def _operands(M, N, K, ta, tb, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a, b


# (M, N, K): the narrow path (N = 10, a classifier head's weight gradient X^T G), the small path
# (few outputs), and the blocked path (many outputs). Every transpose runs at K = 20,000-228,000;
# the X^T G layout also at 10^6.
SHAPES = [(784, 10, 20000), (10, 10, 228000), (64, 128, 20000), (96, 200, 20000)]
LAYOUTS = [(True, False), (False, False), (False, True), (True, True)]
CASES = [(M, N, K, ta, tb) for (M, N, K) in SHAPES for (ta, tb) in LAYOUTS] + [
    (784, 10, 228000, True, False), (16, 10, 1000000, True, False), (4, 3, 1000000, True, False),
    (64, 128, 228000, True, False)]


@pytest.mark.parametrize("M,N,K,ta,tb", CASES)
def test_long_inner_dimension_is_as_accurate_as_torch(M, N, K, ta, tb):
    a, b = _operands(M, N, K, ta, tb, seed=K + M)
    ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    mine = ((ea.t() if ta else ea) @ (eb.t() if tb else eb)).numpy()
    ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
    theirs = ((ta_.t() if ta else ta_) @ (tb_.t() if tb else tb_)).numpy()
    e_mine, e_theirs = _rel_err(mine, ref), _rel_err(theirs, ref)
    assert e_mine <= 2 * e_theirs, f"ember {e_mine:.2e} vs torch {e_theirs:.2e}"
