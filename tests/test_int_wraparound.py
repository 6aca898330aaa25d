"""Integer arithmetic that overflows wraps as two's complement, as PyTorch's does, and is computed
without signed-overflow undefined behaviour (Note [Wrapping integer arithmetic], kernels/functors.h;
the emulated CUDA twins of these kernels are checked at the limits by tools/cuda_emu)."""
import pytest
import torch

import ember

MIN64, MAX64 = -2**63, 2**63 - 1
MIN32, MAX32 = -2**31, 2**31 - 1


def both(make):
    """make(lib) under ember and torch, as Python values (dtype names compared too)."""
    e, t = make(ember), make(torch)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    return e.tolist(), t.tolist()


CASES = {
    "mul": lambda lib: lib.tensor([2**62, -2**62, MAX64]) * 4,
    "add": lambda lib: lib.tensor([2**62, MAX64]) + lib.tensor([2**62, 1]),
    "sub": lambda lib: lib.tensor([MIN64, MIN64]) - lib.tensor([1, MAX64]),
    "rsub scalar": lambda lib: 5 - lib.tensor([MIN64]),
    "abs": lambda lib: lib.tensor([MIN64, -5, MAX64]).abs(),
    "neg": lambda lib: -lib.tensor([MIN64, MAX64, 0]),
    "pow scalar": lambda lib: lib.tensor([3, -3, 2]) ** 40,
    "pow tensor": lambda lib: lib.tensor([3, -3, 7, 2]) ** lib.tensor([40, 41, 30, 64]),
    "square": lambda lib: lib.tensor([2**32, MIN64, 3]).square(),
    "floor_divide by -1": lambda lib: lib.tensor([MIN64, 7]) // -1,
    "remainder by -1": lambda lib: lib.tensor([MIN64, 7]) % -1,
    "int32 add": lambda lib: lib.tensor([MAX32, MIN32], dtype=lib.int32) + lib.tensor([1, -1], dtype=lib.int32),
    "int32 mul": lambda lib: lib.tensor([2**16, MIN32], dtype=lib.int32) * lib.tensor([2**16, -1], dtype=lib.int32),
    "int32 neg": lambda lib: -lib.tensor([MIN32, MAX32], dtype=lib.int32),
    "int32 abs": lambda lib: lib.tensor([MIN32, -7], dtype=lib.int32).abs(),
    "int32 pow": lambda lib: lib.tensor([3, 5], dtype=lib.int32) ** 25,
    "sum": lambda lib: lib.tensor([2**62, 2**62, 2**62]).sum(),
    "sum to MIN": lambda lib: lib.tensor([MAX64, 1]).sum(),
    "sum dim 1": lambda lib: lib.tensor([[2**62] * 3, [MIN64, -1, 0]]).sum(1),
    "sum dim 0": lambda lib: lib.tensor([[2**62, 1]] * 3).sum(0),
    "sum dim 0 long": lambda lib: lib.full((200, 3), 2**61, dtype=lib.int64).sum(0),
    "sum transposed": lambda lib: lib.full((3, 5), 2**62, dtype=lib.int64).t().sum(1),
    "int32 sum (int64 result)": lambda lib: lib.tensor([MAX32] * 3, dtype=lib.int32).sum(),
    "int32 sum as int32": lambda lib: lib.tensor([MAX32] * 3, dtype=lib.int32).sum(dtype=lib.int32),
    "cumsum": lambda lib: lib.tensor([2**62] * 4).cumsum(0),
    "cumsum reversed rows": lambda lib: lib.tensor([[MAX64, 1, 1], [MIN64, -1, 2]]).cumsum(1),
    "cumprod": lambda lib: lib.tensor([2**32, 2**32, 3]).cumprod(0),
    "cumprod int32": lambda lib: lib.tensor([2**16, 2**16, 3], dtype=lib.int32).cumprod(0),
    "prod": lambda lib: lib.tensor([2**32, 2**32, 3]).prod(),
    "prod dim": lambda lib: lib.tensor([[3] * 41, [-3] * 41]).prod(1),
    "matmul": lambda lib: lib.tensor([[2**62, 2**62]]) @ lib.tensor([[4], [1]]),
    "matmul int32": lambda lib: lib.tensor([[2**30, 2**30]], dtype=lib.int32) @ lib.tensor([[4], [1]], dtype=lib.int32),
    "dot": lambda lib: lib.dot(lib.tensor([2**62, 2**62]), lib.tensor([2, 2])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_integer_overflow_wraps_as_torch(name):
    got, want = both(CASES[name])
    assert got == want


def test_min_by_minus_one_never_traps():
    # INT64_MIN / -1 traps on x86 (PyTorch 2.13's div(rounding_mode="trunc") dies of SIGFPE there,
    # so it is not called here); ember's functors never divide it (Note [Integer division by zero]).
    assert ember.fmod(ember.tensor([MIN64, 9]), -1).tolist() == [0, 0]
    assert ember.fmod(ember.tensor([MIN32, 9], dtype=ember.int32), -1).tolist() == [0, 0]


@pytest.mark.parametrize("low, high", [(MIN64, MAX64), (MIN64, 0), (0, MAX64), (MIN64, MIN64 + 2), (MAX64 - 3, MAX64)])
def test_randint_over_the_whole_int64_range(low, high):
    # high - low does not fit in int64 for the first bounds: the range is computed in uint64.
    ember.manual_seed(0)
    r = ember.randint(low, high, (4000,))
    assert r.dtype == ember.int64
    lo, hi = r.min().item(), r.max().item()
    assert low <= lo and hi < high
    span = high - low
    if span > 2**40:  # draws spread over the range: both ends of it are reached within a sixteenth
        assert lo < low + span // 16 and hi > high - span // 16
    else:
        assert set(r.tolist()) == set(range(low, high))
    torch_r = torch.randint(low, high, (4000,))  # PyTorch takes the same bounds
    assert low <= torch_r.min().item() and torch_r.max().item() < high


@pytest.mark.parametrize("src", ["float32", "float64"])
@pytest.mark.parametrize("dst", ["int32", "int64"])
def test_float_to_integer_outside_the_range_gives_torchs_answer(src, dst):
    # Note [Float to integer conversion]: out of range, infinite or NaN is the type's minimum, as
    # PyTorch's CPU gives, without C++'s undefined conversion; in range it truncates toward zero.
    values = [1e20, -1e20, float("nan"), float("inf"), -float("inf"), 3e9, -3e9, 2.0**31, -2.0**31, 2.0**63,
              -2.0**63, 2.5, -2.5, 0.0, -0.0, 2147483520.0]
    got = ember.tensor(values, dtype=getattr(ember, src)).to(getattr(ember, dst)).tolist()
    want = torch.tensor(values, dtype=getattr(torch, src)).to(getattr(torch, dst)).tolist()
    assert got == want
