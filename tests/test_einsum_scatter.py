"""The sign of zero that abs and the max/min family return, against PyTorch 2.13 (CPU)."""
import math

import numpy as np
import pytest

import ember
from conftest import TORCH_DTYPE, to_torch, torch

F32, F64, I64, B = ember.float32, ember.float64, ember.int64, ember.bool


def pair(shape, dtype=F64, seed=0, low=-3, high=4, ints=False, requires_grad=False):
    """The same values as an ember and a torch tensor (small integers when `ints`: many ties)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(low, high, shape) if ints or dtype in (I64, B) else rng.standard_normal(shape)
    e = ember.tensor(a.astype(bool) if dtype == B else a, dtype=dtype)
    if requires_grad:
        e.requires_grad_()
    return e, to_torch(e)


def signs(t):
    return [math.copysign(1.0, v) for v in np.asarray(t.detach().numpy(), dtype=np.float64).reshape(-1)]


def same_error(fn, exc=RuntimeError):
    """fn(ember) and fn(torch) raise the same error type with the same message."""
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(exc) as got:
        fn(ember)
    assert type(want.value) is exc, f"torch raised {type(want.value).__name__}: {want.value}"
    assert str(got.value) == str(want.value).split("\n")[0]


# ---------------------------------------------------------------- signed zeros
# Note [Signed zeros in max and min] (csrc/kernels/reduce_functors.h) says what PyTorch returns.

def zero_patterns(n, count=12, seed=0):
    rng = np.random.default_rng(seed + n)
    return [[0.0 if b else -0.0 for b in rng.integers(0, 2, n)] for _ in range(count)] + [[-0.0] * n, [0.0] * n]


@pytest.mark.parametrize("dtype", [F32, F64])
def test_abs_clears_the_sign_of_zero_and_nan(dtype):
    vals = [-0.0, 0.0, -float("nan"), -2.5, float("-inf")]
    e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
    assert signs(e.abs()) == signs(t.abs()) == [1.0] * 5
    assert signs(abs(e)) == signs(t.abs())
    assert signs(ember.abs(e)) == signs(t.abs())
    x = e.clone()
    x.abs_()
    assert signs(x) == [1.0] * 5
    assert signs(e.norm(float("inf"))) == signs(t.norm(float("inf")))


@pytest.mark.parametrize("dtype,sizes", [(F32, [1, 2, 3, 4, 5, 7, 8, 16]), (F64, [1, 2, 3, 4, 8])])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_everything_keep_the_last_zero(dtype, sizes, op):
    """x.max()/x.min() of +0/-0 patterns shorter than one AVX2 vector, or whole vectors of zeros:
    PyTorch returns the last of the equal elements (ember used to return the first)."""
    for n in sizes:
        for vals in zero_patterns(n):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            assert signs(getattr(e, op)()) == signs(getattr(t, op)()) == [math.copysign(1.0, vals[-1])], vals
            assert signs(getattr(ember, op)(e)) == signs(getattr(t, op)())
    # a negative number next to the zeros changes nothing for max, and is the min
    e, t = ember.tensor([-1.0, -0.0, 0.0], dtype=dtype), torch.tensor([-1.0, -0.0, 0.0], dtype=TORCH_DTYPE[dtype])
    assert signs(getattr(e, op)()) == signs(getattr(t, op)())


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin_keep_the_first_zero(dtype, op):
    for n in [1, 2, 3, 5, 8, 15]:
        for vals in zero_patterns(n):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            assert signs(getattr(e, op)()) == signs(getattr(t, op)()) == [math.copysign(1.0, vals[0])], vals
            assert signs(getattr(e, op)(0)) == signs(getattr(t, op)(0))
            assert signs(getattr(ember, op)(e, 0, keepdim=True)) == signs(getattr(torch, op)(t, 0, keepdim=True))
    rows = [[-0.0, 0.0, 0.0], [0.0, -0.0, 0.0], [-0.0, -0.0, 0.0]]  # along the last dim and along the first
    e, t = ember.tensor(rows, dtype=dtype), torch.tensor(rows, dtype=TORCH_DTYPE[dtype])
    for dim in (0, 1, -1):
        assert signs(getattr(e, op)(dim)) == signs(getattr(t, op)(dim))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_a_dim_return_the_first_zero_and_its_index(dtype, op):
    for n in [1, 2, 7, 33, 100]:
        for vals in zero_patterns(n, count=4):
            e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
            (ev, ei), (tv, ti) = getattr(e, op)(0), getattr(t, op)(0)
            assert signs(ev) == signs(tv) and ei.item() == ti.item() == 0
    vals = [[-0.0, 0.0], [0.0, -0.0], [-1.0, -0.0]]
    e, t = ember.tensor(vals, dtype=dtype), torch.tensor(vals, dtype=TORCH_DTYPE[dtype])
    for dim in (0, 1):
        (ev, ei), (tv, ti) = getattr(e, op)(dim), getattr(t, op)(dim)
        assert signs(ev) == signs(tv) and ei.tolist() == ti.tolist()


@pytest.mark.parametrize("dtype", [F32, F64])
def test_maximum_minimum_keep_the_first_operand_on_a_tie(dtype):
    a = [-0.0, 0.0, -0.0, 0.0, 1.0]
    b = [0.0, -0.0, -0.0, 0.0, float("nan")]
    ea, eb = ember.tensor(a, dtype=dtype), ember.tensor(b, dtype=dtype)
    ta, tb = torch.tensor(a, dtype=TORCH_DTYPE[dtype]), torch.tensor(b, dtype=TORCH_DTYPE[dtype])
    for op in ("maximum", "minimum"):
        got, want = getattr(ember, op)(ea, eb), getattr(torch, op)(ta, tb)
        assert signs(got)[:4] == signs(want)[:4] == signs(ea)[:4]
        assert math.isnan(got[4].item()) and math.isnan(want[4].item())
    # the gradient of a tie is still split in half
    x = ember.tensor([-0.0, 1.0], dtype=dtype, requires_grad=True)
    ember.maximum(x, ember.tensor([0.0, 0.0], dtype=dtype)).sum().backward()
    assert x.grad.tolist() == [0.5, 1.0]
