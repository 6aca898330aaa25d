"""Reductions of expanded (stride-0) tensors read the distinct values only and never lay out the
repeats (Note [Reducing stride-0 dims], csrc/ops/reduce.cpp): values as PyTorch's, and ember's
CPU allocator shows no allocation beyond the output."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import _C


def pair(make_base, sizes, dtype="float64"):
    """The same expanded tensor under ember and torch: make_base(lib, dtype).expand(sizes)."""
    base = make_base(np.random.default_rng(0)).astype(dtype)
    return ember.tensor(base).expand(*sizes), torch.tensor(base).expand(*sizes)


SHAPES = [  # (base shape, expanded sizes)
    ((1,), (1000,)),
    ((1, 5), (300, 5)),          # a reduced stride-0 leading dim (a broadcast bias)
    ((5, 1), (5, 300)),          # a stride-0 trailing dim
    ((1, 4, 1), (3, 4, 6)),      # two stride-0 dims around a real one
    ((2, 1, 3), (2, 7, 3)),
    ((1, 1), (0, 4)),            # empty
]
DIMS = [None, 0, -1, (0, -1)]


def run(op, e, t, dim, keepdim):
    if dim is None:
        return getattr(e, op)(), getattr(t, op)()
    if op in ("max", "min", "argmax", "argmin") and isinstance(dim, tuple):
        pytest.skip("one dim only")
    return getattr(e, op)(dim, keepdim=keepdim), getattr(t, op)(dim, keepdim=keepdim)


def as_lists(r):
    if isinstance(r, tuple):  # (values, indices)
        return [x.tolist() for x in r]
    return r.tolist()


@pytest.mark.parametrize("base, sizes", SHAPES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "max", "min", "argmax", "all", "any",
                                "count_nonzero"])
def test_reductions_of_expanded_tensors_match_torch(op, base, sizes, dim, keepdim):
    e, t = pair(lambda rng: np.where(rng.random(base) < 0.3, 0.0, rng.standard_normal(base)), sizes)
    if op in ("amax", "amin", "max", "min", "argmax") and 0 in sizes:
        pytest.skip("no extreme of nothing")
    if isinstance(dim, tuple) and len(sizes) == 1:
        pytest.skip("dims 0 and -1 are the same dim")
    if op == "count_nonzero":
        got, want = (e.count_nonzero(), t.count_nonzero()) if dim is None else (e.count_nonzero(dim), t.count_nonzero(dim))
    else:
        got, want = run(op, e, t, dim, keepdim)
    if op in ("sum", "mean"):
        # n * s rounds once where PyTorch adds the n copies one by one (Note [Reducing stride-0 dims]).
        np.testing.assert_allclose(np.array(got.tolist()), np.array(want.tolist()), rtol=1e-12, atol=1e-12)
        assert tuple(got.shape) == tuple(want.shape)
    else:
        assert as_lists(got) == as_lists(want)


SPREAD_OPS = {  # (ember call, torch call) over the dim argument; None: every dim
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var(d, keepdim=k)),
    "std": (lambda x, d, k: x.std(d, correction=0, keepdim=k), lambda x, d, k: x.std(d, correction=0, keepdim=k)),
    "var_c3": (lambda x, d, k: x.var(d, correction=3, keepdim=k), lambda x, d, k: x.var(d, correction=3, keepdim=k)),
    "prod": (lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k),
             lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(tuple(range(x.dim())) if d is None else d, keepdim=k),
                  lambda x, d, k: x.logsumexp(tuple(range(x.dim())) if d is None else d, keepdim=k)),
}


@pytest.mark.parametrize("base, sizes", SHAPES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", sorted(SPREAD_OPS))
def test_spreads_products_and_logsumexp_of_expanded_tensors_match_torch(op, base, sizes, dim, keepdim):
    # Values near 1 keep products of hundreds of copies finite.
    e, t = pair(lambda rng: 1 + 0.01 * rng.standard_normal(base), sizes)
    if isinstance(dim, tuple) and len(sizes) == 1:
        pytest.skip("dims 0 and -1 are the same dim")
    if op == "prod" and isinstance(dim, tuple):
        pytest.skip("prod takes one dim")
    fe, ft = SPREAD_OPS[op]
    got, want = fe(e, dim, keepdim), ft(t, dim, keepdim)
    assert tuple(got.shape) == tuple(want.shape)
    # n copies counted at once, not one by one (Note [Reducing stride-0 dims]): the last bits differ.
    np.testing.assert_allclose(np.array(got.tolist()), np.array(want.tolist()), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("base, sizes", [((1, 4, 1), (3, 4, 6)), ((2, 1, 3), (2, 7, 3)), ((1, 5), (300, 5)),
                                         ((5, 1), (5, 300)), ((1, 1, 1), (2, 3, 4))])
def test_positions_over_every_dim_of_expanded_tensors_match_torch(op, base, sizes):
    e, t = pair(lambda rng: rng.integers(0, 3, base).astype(float), sizes)  # ties across the copies
    assert getattr(e, op)().item() == getattr(t, op)().item()
    assert getattr(e, op)(keepdim=True).tolist() == getattr(t, op)(keepdim=True).tolist()


def test_spreads_of_integers_and_edge_values():
    for lib in (ember, torch):
        assert lib.tensor([3], dtype=lib.int32).expand(10).prod().item() == 3**10
        assert lib.tensor([3]).expand(50).prod().item() == torch.tensor([3]).expand(50).prod().item()  # wraps
        assert lib.tensor([2], dtype=lib.int32).expand(40).prod(dtype=lib.int32).item() == 0  # 2^40 mod 2^32
        assert lib.tensor([-0.0]).expand(3).prod().item() == 0.0
        assert math.isnan(lib.tensor([1.0, float("nan")]).expand(4, 2).var().item())
        assert math.isnan(lib.tensor([2.0]).expand(3).var(correction=3).item())  # 0 / 0
        assert lib.tensor([float("-inf")]).expand(5).logsumexp(0).item() == float("-inf")
        assert lib.tensor([float("inf"), 1.0]).expand(5, 2).logsumexp((0, 1)).item() == float("inf")
        assert lib.tensor([1, 2]).expand(3, 2).logsumexp(0).dtype == lib.float32


def test_int32_power_of_more_repeats_than_int32_holds():
    # 3^(2^31 + 5) mod 2^32 and 2^(2^31) mod 2^32, from a count that int32 cannot hold.
    n = 2**31 + 5
    x = ember.tensor([3], dtype=ember.int32).expand(n)
    assert x.prod(dtype=ember.int32).item() == np.int32(np.uint32(pow(3, n, 2**32))).item()
    assert ember.tensor([2], dtype=ember.int32).expand(2**31).prod(dtype=ember.int32).item() == 0


def test_gradients_of_spreads_of_expanded_tensors_match_torch():
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0, 4.0]], dtype=lib.float64, requires_grad=True)
        big = x.expand(5, 3)
        (big.var() + big.std(0).sum() + big.prod(1).sum() + big.logsumexp((0, 1))).backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_integer_and_bool_counts_are_exact():
    for lib in (ember, torch):
        assert lib.tensor([2**62]).expand(4).sum().item() == 0  # wraps as 4 additions do
        assert lib.tensor([3, -1]).expand(5, 2).sum(0).tolist() == [15, -5]
        assert lib.tensor([7], dtype=lib.int32).expand(2**20).sum().item() == 7 * 2**20
        assert lib.tensor([7], dtype=lib.int32).expand(2**29).sum(dtype=lib.int32).item() == -2**29  # wraps
        assert lib.tensor([True, False]).expand(1000, 2).sum().item() == 1000
        assert lib.tensor([True, False]).expand(1000, 2).count_nonzero(0).tolist() == [1000, 0]


def test_float32_sum_of_many_repeats_is_close_to_exact():
    x = ember.tensor([0.1], dtype=ember.float32).expand(2**24 + 3)
    exact = float(np.float32(0.1)) * (2**24 + 3)
    assert math.isclose(x.sum().item(), exact, rel_tol=1e-7)
    assert math.isclose(x.mean().item(), float(np.float32(0.1)), rel_tol=1e-7)
    # PyTorch's cascade sum agrees to float32 rounding.
    assert math.isclose(torch.tensor([0.1]).expand(2**24 + 3).sum().item(), exact, rel_tol=1e-6)


def test_nan_and_ties_in_repeats():
    for lib in (ember, torch):
        x = lib.tensor([[1.0, float("nan"), -0.0]]).expand(4, 3)
        assert lib.isnan(x.amax()).item() and lib.isnan(x.sum()).item()
        v, i = x.max(0)
        assert i.tolist() == [0, 0, 0]
        assert x.argmax().item() == 1  # over every dim: the flat position of the first NaN
        assert lib.tensor([1.0, 3.0, 2.0]).expand(4, 3).argmax().item() == 1


def test_gradients_through_reductions_of_expanded_tensors():
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        (x.expand(5, 3).sum() + x.expand(5, 3).mean(0).sum() + x.expand(5, 3).amax(0).sum()).backward()
        assert x.grad.tolist() == [[7.0, 7.0, 7.0]]


@pytest.mark.parametrize("make", [
    lambda: ember.ones(1).expand(2**27).sum(),
    lambda: ember.ones(1).expand(2**27).mean(),
    lambda: ember.ones(1, 1000).expand(100000, 1000).sum(0),
    lambda: ember.ones(1000, 1).expand(1000, 100000).sum(1),
    lambda: ember.ones(1, 1000).expand(100000, 1000).amax(0),
    lambda: ember.ones(1, 1000).expand(100000, 1000).max(0),
    lambda: ember.ones(1).expand(2**27).all(),
    lambda: ember.ones(1).expand(2**27).any(),
    lambda: ember.ones(1).expand(2**27).count_nonzero(),
    lambda: ember.ones(1, dtype=ember.int64).expand(2**27).sum(),
    lambda: ember.ones(1, dtype=ember.int32).expand(2**27).sum(),       # converted to int64 first
    lambda: ember.ones(1, dtype=ember.bool).expand(2**27).sum(),
    lambda: ember.ones(1).expand(2**27).sum(dtype=ember.float64),
    lambda: ember.ones(1).expand(2**27).var(),
    lambda: ember.ones(1, 1000).expand(100000, 1000).std(0),
    lambda: ember.ones(1000, 1).expand(1000, 100000).var(1),
    lambda: ember.ones(1).expand(2**27).prod(),
    lambda: ember.ones(1, 1000).expand(100000, 1000).prod(0),
    lambda: ember.ones(1, dtype=ember.int32).expand(2**27).prod(),  # converted to int64 first
    lambda: ember.ones(1).expand(2**27).logsumexp(0),
    lambda: ember.ones(1, 1000).expand(100000, 1000).logsumexp(0),
    lambda: ember.ones(1, dtype=ember.int64).expand(2**27).logsumexp(0),  # converted to float32 first
    lambda: ember.ones(1, 1000).expand(100000, 1000).argmax(),
    lambda: ember.ones(1000, 1).expand(1000, 100000).argmin(),
])
def test_no_copy_of_the_repeats(make):
    # The expanded inputs hold 2**27 or 10**8 elements (0.5 GB of float32); the outputs at most 1000.
    _C._reset_peak_memory_stats()
    before = _C._memory_stats()["current"]
    out = make()
    grown = _C._memory_stats()["peak"] - before
    assert grown < 64 * 1024, f"{grown} bytes allocated"
    del out


@pytest.mark.gpu
def test_expanded_reductions_on_cuda_match_the_cpu():
    base = ember.tensor(np.random.default_rng(1).integers(0, 3, (2, 1, 3)).astype(np.float32))
    for f in (lambda x: x.var(), lambda x: x.std(1), lambda x: x.prod(1), lambda x: x.logsumexp((0, 1)),
              lambda x: x.argmax(), lambda x: x.argmin(keepdim=True), lambda x: x.sum(1), lambda x: x.amax(0)):
        got, want = f(base.cuda().expand(2, 5, 3)).cpu(), f(base.expand(2, 5, 3))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
