"""Generic tests over the op table of tests/op_db.py: every entry forward on every dtype against
PyTorch (values, dtypes, shapes, NaN/inf, the error type where PyTorch refuses a dtype or an
input), gradients against PyTorch in float32 and float64, gradcheck in float64, and the in-place
form where there is one."""
import zlib

import numpy as np
import pytest

import ember
from conftest import TOL
from op_db import ALL, B, F32, F64, FLOATS, I64, OPS, SAMPLES, apply_view, make_arrays, special_sample

torch = pytest.importorskip("torch")

E_DTYPE = {F32: ember.float32, F64: ember.float64, I64: ember.int64, B: ember.bool}
T_DTYPE = {F32: torch.float32, F64: torch.float64, I64: torch.int64, B: torch.bool}
T_TO_E = {v: E_DTYPE[k] for k, v in T_DTYPE.items()}


def rng_for(op, dtype, salt=0):
    return np.random.default_rng(zlib.crc32(f"{op.name}/{dtype}/{salt}".encode()))


def samples(op, dtype, rng, specials=True):
    """(arrays, views) per sample: the shape samples, then the special values (floats only)."""
    for sample in SAMPLES[op.arity]:
        yield make_arrays(op, sample, dtype, rng), [view for _, view in sample]
    if specials and op.nan_inf and dtype in FLOATS:
        yield special_sample(op.arity), [None] * op.arity


def build(arrays, views, dtype, requires_grad=False):
    """The same operands in ember and torch: (ember views, torch views, ember leaves, torch leaves)."""
    ev, tv, el, tl = [], [], [], []
    for arr, view in zip(arrays, views):
        e = ember.tensor(arr, dtype=E_DTYPE[dtype])
        t = torch.tensor(arr, dtype=T_DTYPE[dtype])
        if requires_grad:
            e.requires_grad_(True)
            t.requires_grad_(True)
        el.append(e), tl.append(t)
        ev.append(apply_view(e, view)), tv.append(apply_view(t, view))
    return ev, tv, el, tl


def outcome(fn, *args):
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001  compared with torch's below
        return None, exc


def assert_same(e_out, t_out, tol, what):
    assert isinstance(e_out, ember.Tensor), f"{what}: got {type(e_out).__name__}"
    assert tuple(e_out.shape) == tuple(t_out.shape), f"{what}: shape {tuple(e_out.shape)} vs {tuple(t_out.shape)}"
    assert e_out.dtype == T_TO_E[t_out.dtype], f"{what}: dtype {e_out.dtype} vs torch {t_out.dtype}"
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), err_msg=what,
                               **tol.get(e_out.dtype, dict(rtol=0, atol=0)))


def tolerances(op, dtype, which="tol"):
    tol = dict(TOL)
    tol.update({E_DTYPE[k]: v for k, v in getattr(op, which).items()})
    return tol


def assert_same_outcome(e, t, what, tol):
    (e_out, e_exc), (t_out, t_exc) = e, t
    if t_exc is not None:
        assert e_exc is not None, f"{what}: torch raised {type(t_exc).__name__}: {t_exc}; ember did not"
        assert isinstance(e_exc, type(t_exc)), (f"{what}: torch raised {type(t_exc).__name__}, ember "
                                                f"{type(e_exc).__name__}: {e_exc}")
        return
    assert e_exc is None, f"{what}: ember raised {type(e_exc).__name__}: {e_exc}"
    assert_same(e_out, t_out, tol, what)


CASES = [(op, dt) for op in OPS for dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", CASES, ids=[f"{op.name}-{dt}" for op, dt in CASES])
def test_forward_matches_torch(op, dtype):
    tol = tolerances(op, dtype)
    for i, (arrays, views) in enumerate(samples(op, dtype, rng_for(op, dtype))):
        ev, tv, _, _ = build(arrays, views, dtype)
        variants = op.variants if i in (0, len(SAMPLES[op.arity])) else op.variants[:1]
        for k, fn in enumerate(variants):
            what = f"{op.name} {dtype} sample {i} variant {k}"
            assert_same_outcome(outcome(fn, ember, *ev), outcome(fn, torch, *tv), what, tol)


UNSUPPORTED = [(op, dt) for op in OPS for dt in ALL if dt not in op.dtypes]


@pytest.mark.parametrize("op,dtype", UNSUPPORTED, ids=[f"{op.name}-{dt}" for op, dt in UNSUPPORTED])
def test_unsupported_dtype_raises_like_torch(op, dtype):
    arrays = make_arrays(op, SAMPLES[op.arity][0], dtype, rng_for(op, dtype))
    ev, tv, _, _ = build(arrays, [None] * op.arity, dtype)
    _, t_exc = outcome(op.variants[0], torch, *tv)
    assert t_exc is not None, f"op_db: torch computes {op.name} on {dtype}; list the dtype as supported"
    _, e_exc = outcome(op.variants[0], ember, *ev)
    assert isinstance(e_exc, type(t_exc)), f"torch raised {type(t_exc).__name__}, ember {e_exc!r}"


GRAD_CASES = [(op, dt) for op in OPS if op.differentiable for dt in FLOATS if dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", GRAD_CASES, ids=[f"{op.name}-{dt}" for op, dt in GRAD_CASES])
def test_gradients_match_torch(op, dtype):
    tol = tolerances(op, dtype, "grad_tol")
    rng = rng_for(op, dtype, 1)
    for i, (arrays, views) in enumerate(samples(op, dtype, rng, specials=False)):
        ev, tv, el, tl = build(arrays, views, dtype, requires_grad=True)
        e_out, t_out = op.variants[0](ember, *ev), op.variants[0](torch, *tv)
        assert e_out.requires_grad == t_out.requires_grad, f"{op.name} sample {i}: requires_grad"
        if not t_out.requires_grad:
            continue
        g = rng.standard_normal(tuple(t_out.shape))
        e_res = outcome(e_out.backward, ember.tensor(g, dtype=E_DTYPE[dtype]))
        t_res = outcome(t_out.backward, torch.tensor(g, dtype=T_DTYPE[dtype]))
        if t_res[1] is not None:  # PyTorch records the op but cannot differentiate it (floor_divide)
            assert isinstance(e_res[1], type(t_res[1])), f"{op.name} sample {i}: torch raised {t_res[1]!r}"
            continue
        assert e_res[1] is None, f"{op.name} sample {i}: {e_res[1]!r}"
        for k, (e, t) in enumerate(zip(el, tl)):
            what = f"{op.name} {dtype} sample {i}: grad of operand {k}"
            if t.grad is None:
                assert e.grad is None or not e.grad.abs().sum().item(), what
            else:
                assert e.grad is not None, what
                assert_same(e.grad, t.grad, tol, what)


GRADCHECK = [op for op in OPS if op.differentiable and op.gradcheck and F64 in op.dtypes]


@pytest.mark.parametrize("op", GRADCHECK, ids=[op.name for op in GRADCHECK])
def test_gradcheck_float64(op):
    rng = rng_for(op, F64, 2)
    for sample in SAMPLES[op.arity][:2]:  # same shapes, then broadcasting
        arrays = make_arrays(op, sample, F64, rng)
        inputs = [ember.tensor(a, dtype=ember.float64).requires_grad_(True) for a in arrays]
        assert ember.autograd.gradcheck(lambda *xs: op.variants[0](ember, *xs), tuple(inputs)), op.name


INPLACE = [(op, dt) for op in OPS if op.inplace is not None for dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", INPLACE, ids=[f"{op.name}-{dt}" for op, dt in INPLACE])
def test_inplace_matches_torch(op, dtype):
    tol = tolerances(op, dtype)
    for i, (arrays, views) in enumerate(samples(op, dtype, rng_for(op, dtype, 3))):
        ev, tv, _, _ = build(arrays, views, dtype)
        what = f"{op.name}_ {dtype} sample {i}"
        e_self, t_self = ev[0], tv[0]
        e, t = outcome(op.inplace, *ev), outcome(op.inplace, *tv)
        assert_same_outcome(e, t, what, tol)
        if t[1] is None:
            assert e[0] is e_self, f"{what}: the in-place form must return self"
            assert_same(e_self, t_self, tol, what)


SECOND_ORDER = [op for op in OPS if op.differentiable and op.gradcheck and F64 in op.dtypes]


@pytest.mark.parametrize("op", SECOND_ORDER, ids=[op.name for op in SECOND_ORDER])
def test_second_derivatives_match_torch(op):
    """create_graph=True: each backward formula is itself differentiable and agrees with torch."""
    rng = rng_for(op, F64, 4)
    arrays = make_arrays(op, SAMPLES[op.arity][1 if op.arity > 1 else 0], F64, rng)
    ev, tv, el, tl = build(arrays, [None] * op.arity, F64, requires_grad=True)
    e_out, t_out = op.variants[0](ember, *ev), op.variants[0](torch, *tv)
    v = rng.standard_normal(tuple(t_out.shape))
    e_first = ember.autograd.grad((e_out * ember.tensor(v)).sum(), el, create_graph=True, allow_unused=True)
    t_first = torch.autograd.grad((t_out * torch.tensor(v)).sum(), tl, create_graph=True, allow_unused=True)
    for k, (e, t) in enumerate(zip(e_first, t_first)):
        if t is not None:
            assert_same(e, t, TOL, f"{op.name}: first derivative {k}")
    if t_first[0] is None or not t_first[0].requires_grad:  # a constant first derivative has no graph
        return
    u = rng.standard_normal(tuple(t_first[0].shape))
    t_second = torch.autograd.grad((t_first[0] * torch.tensor(u)).sum(), tl, allow_unused=True)
    if not e_first[0].requires_grad:  # ember saw that the derivative is piecewise constant (relu)
        assert all(t is None or not t.abs().sum().item() for t in t_second), op.name
        return
    e_second = ember.autograd.grad((e_first[0] * ember.tensor(u)).sum(), el, allow_unused=True)
    for k, (e, t) in enumerate(zip(e_second, t_second)):
        what = f"{op.name}: second derivative {k}"
        if t is None or t._is_zerotensor() or not t.abs().sum().item():  # structurally zero
            assert e is None or np.allclose(e.detach().numpy(), 0.0), what
        else:
            assert e is not None, what
            assert_same(e, t, TOL, what)
