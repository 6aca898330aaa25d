"""Differential fuzzing of the pointwise op table against PyTorch (issue 13): hypothesis draws a
dtype, broadcastable shapes (0-d, empty, size-1), views (transposed, expanded, strided slices)
and values (the op's domain mixed with NaN, +-inf, +-0, denormals and large magnitudes) for each
entry of tests/op_db.py, and ember must agree with torch on values, dtype, shape, error type and,
in float64, gradients.

CI runs a short, derandomized mode (the same cases every run, a few seconds in all). The long
mode explores fresh cases and keeps failures in hypothesis' example database (.hypothesis/):
    EMBER_FUZZ_LONG=1 python -m pytest tests/test_fuzz_ops.py      # 2,000 cases per op
    EMBER_FUZZ_EXAMPLES=N ... sets the count per op in either mode.
"""
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from op_db import OPS
from op_info import B, F32, F64, I32, I64, Sample
from test_ops import assert_same_outcome, build, outcome, tolerances

LONG = os.environ.get("EMBER_FUZZ_LONG") == "1"
EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", 2000 if LONG else 12))
FUZZ = settings(max_examples=EXAMPLES, derandomize=not LONG, deadline=None, database=None if not LONG else
                settings.default.database, suppress_health_check=list(HealthCheck), print_blob=True)

POINTWISE = [op for op in OPS if op.samples is None]
# PyTorch computes these with a fused multiply-add, so a product that overflows float32 on its own
# (3e38 * 3e38, or alpha=2 times 3e38) still meets a -inf addend as -inf, where ember's separate
# product gives inf - inf = NaN (lerp: 3e38 - 3e38 * 2 is -3e38 fused, -inf apart): a known
# difference at the edge of the range, kept out of the fuzzer's large magnitudes.
FUSED_IN_TORCH = {"addcmul", "addcdiv", "add_alpha", "lerp"}
# PyTorch's vectorized fmod (Sleef) gives NaN for a denormal divisor where its scalar path, and C's
# fmod, give the remainder: torch.fmod(torch.full((16,), 0.1), 1e-40) is NaN, torch.fmod of one
# such element is 1.4e-41. In float32 it also gives NaN for a huge dividend: torch.fmod of
# torch.full((16,), -3e38) by 0.7 is NaN, of one element -0.21 (C: -0.19); float64 is exact
# (found by the long fuzz run of 2026-12-07, round 5). ember gives C's answer everywhere;
# denormals, and float32 values past 1e30, are kept out of these ops.
SLEEF_FMOD = {"fmod", "remainder", "rmod"}
SPECIAL = {F32: [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 3e38, -3e38, 1.0, -1.0],
           F64: [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-310, -1e-310, 1e308, -1e308, 1.0, -1.0]}


@st.composite
def shapes(draw, arity):
    """A broadcast result shape, then each operand's: a suffix of it with some dims set to 1."""
    out = draw(st.lists(st.sampled_from([0, 1, 2, 3, 4, 1, 2, 3]), max_size=3))
    ops = []
    for _ in range(arity):
        keep = draw(st.integers(0, len(out)))
        shape = [d if draw(st.booleans()) or d == 0 else 1 for d in out[len(out) - keep:]]
        ops.append(tuple(shape))
    return ops


@st.composite
def view_of(draw, shape):
    """(base shape, view) giving an operand of `shape`: as is, transposed, expanded or strided."""
    kinds = ["none"]
    if len(shape) >= 2:
        kinds.append("t")
    if any(d != 1 for d in shape):
        kinds.append("expand")
    if shape:
        kinds.append("step")
    kind = draw(st.sampled_from(kinds))
    if kind == "t":
        base = shape[:-2] + (shape[-1], shape[-2])
        return base, ("transpose", (-1, -2))
    if kind == "expand":
        base = tuple(1 if draw(st.booleans()) else d for d in shape)
        return base, ("expand", shape)
    if kind == "step":
        base = shape[:-1] + (2 * shape[-1],)
        return base, ("getitem", (Ellipsis, slice(None, None, 2)))
    return shape, None


def values(draw, op, k, dtype, shape, rng):
    if dtype == B:
        return rng.random(shape) < 0.5
    if dtype in (I64, I32):
        lo, hi = op.int_domain_of(k)
        arr = rng.integers(lo, hi + 1, size=shape)
        return np.where(arr == 0, 3, arr) if k in op.nonzero else arr
    lo, hi = op.domain_of(k)
    arr = rng.uniform(lo, hi, size=shape)
    if op.nan_inf and arr.size and draw(st.booleans()):
        specials = [v for v in SPECIAL[dtype] if (op.name not in FUSED_IN_TORCH or abs(v) < 1e30)
                    and (op.name not in SLEEF_FMOD or not 0 < abs(v) < np.finfo(dtype).tiny)
                    and (op.name not in SLEEF_FMOD or dtype != F32 or abs(v) < 1e30)]
        picks = rng.choice(specials, size=shape)
        arr = np.where(rng.random(shape) < 0.3, picks, arr)
    return arr


@pytest.mark.parametrize("op", POINTWISE, ids=[op.name for op in POINTWISE])
@FUZZ
@given(data=st.data())
def test_pointwise_op_agrees_with_torch(op, data):
    dtype = data.draw(st.sampled_from(op.dtypes), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    specs = [data.draw(view_of(s), label=f"operand {k}") for k, s in enumerate(data.draw(shapes(op.arity)))]
    arrays = [values(data.draw, op, k, dtype, base, rng) for k, (base, _) in enumerate(specs)]
    sample = Sample(tuple(specs))
    e, t = build(sample, arrays, dtype)
    for k, fn in enumerate(op.variants[:2]):
        assert_same_outcome(outcome(e.run, fn), outcome(t.run, fn), f"{op.name} {dtype} variant {k}",
                            tolerances(op, dtype))
    finite = all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
    if dtype == F64 and op.differentiable and finite:
        e, t = build(sample, arrays, dtype, requires_grad=True)
        (e_out, e_exc), (t_out, t_exc) = outcome(e.run, op.variants[0]), outcome(t.run, op.variants[0])
        if t_exc is None and e_exc is None and t_out.requires_grad and t_out.numel():
            g = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
            t_grads, t_exc = outcome(lambda: torch.autograd.grad(t_out, t.leaves, torch.tensor(g), allow_unused=True))
            e_grads, e_exc = outcome(lambda: ember.autograd.grad(e_out, e.leaves, ember.tensor(g), allow_unused=True))
            if t_exc is not None or e_exc is not None:  # no derivative (floor_divide): both must refuse
                assert_same_outcome((None, e_exc), (None, t_exc), f"{op.name} gradient", {})
                return
            for eg, tg in zip(e_grads, t_grads):
                if tg is None:
                    assert eg is None or not eg.abs().sum().item()
                    continue
                assert_same_outcome((eg, None), (tg, None), f"{op.name} gradient", tolerances(op, dtype, "grad_tol"))


# Cases the long mode found (tools/fuzz_long.sh), pinned so that they stay fixed.
FOUND = [
    # d/db remainder(a, b) = -floor_divide(a, b): -1e-310 // 1e308 is -1, though -1e-310 / 1e308 is -0.
    ("remainder", lambda L, a, b: L.remainder(a, b), [[-1e-310, -2.5, 3.5], [1e308, 0.0, 1.6]]),
    # div's d/db is -g * ((a / b) / b): it overflows where -g * a / (b * b) would not.
    ("div", lambda L, a, b: L.div(a, b), [[-1e308, 1e308, 3.0], [0.675, -0.5, 1e-200]]),
    # atan2's gradient is 0 where a^2 + b^2 underflows to 0, not inf.
    ("atan2", lambda L, a, b: L.atan2(a, b), [1e-310, -1e-310]),
    ("atan2 at 0", lambda L, a, b: L.atan2(a, b), [[0.0, 1e-155], [0.0, 0.0]]),
    # addcdiv/addcmul form their gradients per element of the broadcast result before summing.
    ("addcdiv", lambda L, s, a, b: L.addcdiv(s, a, b, value=0.5), [np.arange(6.0).reshape(3, 1, 2) - 2.5, -0.8, 1e-310]),
    ("addcdiv -0", lambda L, s, a, b: L.addcdiv(s, a, b, value=0.5), [0.5, [-0.0], [[1.7, -1e-310], [1.4, -1e-310]]]),
    ("addcmul", lambda L, s, a, b: L.addcmul(s, a, b, value=2.0), [np.arange(6.0).reshape(3, 1, 2) - 2.5, 1e300, 1e300]),
]


@pytest.mark.parametrize("name,fn,inputs", FOUND, ids=[f[0] for f in FOUND])
def test_fuzz_found_gradients(name, fn, inputs):
    arrays = [np.asarray(v, dtype=np.float64) for v in inputs]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out, e_out = fn(torch, *t_in), fn(ember, *e_in)
    g = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    t_grads = torch.autograd.grad(t_out, t_in, torch.tensor(g))
    e_grads = ember.autograd.grad(e_out, e_in, ember.tensor(g))
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.detach().numpy())
    for eg, tg in zip(e_grads, t_grads):  # NaN and inf where torch has them; sums may differ in an ulp
        eg, tg = eg.numpy(), tg.numpy()
        np.testing.assert_allclose(eg, tg, rtol=1e-12, atol=0, err_msg=name)
        np.testing.assert_array_equal(np.signbit(eg[tg == 0]), np.signbit(tg[tg == 0]), err_msg=name)
