"""Generic tests over the op tables (tests/op_db*.py, machinery in tests/op_info.py): every entry
forward on every dtype against PyTorch (values, dtypes, shapes, NaN/inf, the error type where
PyTorch refuses a dtype or an input), outputs that alias their inputs exactly where PyTorch's do,
gradients against PyTorch in float32 and float64, gradcheck and second order in float64, and the
in-place form where there is one."""
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import ember
import op_db
import op_db_indexing
import op_db_linalg
import op_db_nn
import op_db_reductions
import op_db_shape
from conftest import TOL
from op_info import ALL, B, F32, F64, FLOATS, I32, I64, Const, apply_view, make_arrays

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning"),  # torch's var/std
              pytest.mark.filterwarnings("ignore:torch.searchsorted.*non-contiguous:UserWarning"),
              pytest.mark.filterwarnings("ignore:Using a target size:UserWarning"),  # both libraries warn
              pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")]

OPS = (op_db.OPS + op_db_reductions.OPS + op_db_shape.OPS + op_db_indexing.OPS
       + op_db_linalg.OPS + op_db_nn.OPS)
assert len({op.name for op in OPS}) == len(OPS), "op names must be unique across the tables"

E_DTYPE = {F32: ember.float32, F64: ember.float64, I64: ember.int64, I32: ember.int32, B: ember.bool}
T_DTYPE = {F32: torch.float32, F64: torch.float64, I64: torch.int64, I32: torch.int32, B: torch.bool}
T_TO_E = {v: E_DTYPE[k] for k, v in T_DTYPE.items()}


def rng_for(op, dtype, salt=0):
    return np.random.default_rng(zlib.crc32(f"{op.name}/{dtype}/{salt}".encode()))


def samples(op, dtype, rng, grad_only=False):
    """(index, sample, arrays) for each sample of `op` that runs on `dtype`."""
    for i, sample in enumerate(op.sample_list()):
        if sample.runs_on(dtype) and (sample.grad or not grad_only):
            yield i, sample, make_arrays(op, sample, dtype, rng)


@dataclass
class Call:
    """One sample's call in one library: operands (views of the leaves), then args and kwargs."""
    L: object
    leaves: list
    operands: list
    args: list
    kwargs: dict

    def run(self, fn):
        return fn(self.L, *self.operands, *self.args, **self.kwargs)


def build(sample, arrays, dtype, requires_grad=False):
    """The same call in ember and in torch: (ember Call, torch Call)."""
    calls = []
    for L, dtypes in ((ember, E_DTYPE), (torch, T_DTYPE)):

        def tensor(value, dt, view=None):
            return apply_view(L.tensor(np.asarray(value), dtype=dtypes[dt or dtype]), view)
        leaves = [tensor(a, dtype) for a in arrays]
        if requires_grad:
            leaves = [leaf.requires_grad_(True) for leaf in leaves]

        def arg(v):  # a Const becomes a tensor, also inside a tuple or list (an index key)
            if isinstance(v, (tuple, list)):
                return type(v)(arg(x) for x in v)
            return tensor(v.value, v.dtype, v.view) if isinstance(v, Const) else v
        calls.append(Call(L, leaves, [apply_view(leaf, view) for leaf, (_, view) in zip(leaves, sample.operands)],
                          [arg(a) for a in sample.args], {k: arg(v) for k, v in sample.kwargs.items()}))
    return calls


def tensors_of(out):
    """An op's result as a list: a tensor, or the tensors of a tuple / list / named pair."""
    return list(out) if isinstance(out, (tuple, list)) else [out]


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


def assert_same_result(e_out, t_out, tol, what):
    """A tensor, or a tuple / list of them (split, unbind) or a named pair (max, sort): same structure."""
    if not isinstance(t_out, (tuple, list)):
        return assert_same(e_out, t_out, tol, what)
    assert isinstance(e_out, (tuple, list)), f"{what}: got {type(e_out).__name__}, torch {type(t_out).__name__}"
    assert len(e_out) == len(t_out), f"{what}: {len(e_out)} results vs torch's {len(t_out)}"
    if type(t_out).__module__ == "torch.return_types":
        assert type(e_out).__name__ == type(t_out).__name__, f"{what}: returns {type(e_out).__name__}"
        for field in ("values", "indices"):
            assert hasattr(e_out, field) == hasattr(t_out, field), f"{what}: field {field}"
    for k, (e, t) in enumerate(zip(e_out, t_out)):
        assert_same(e, t, tol, f"{what} result {k}")


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
    assert_same_result(e_out, t_out, tol, what)


def params(test, cases):
    """The cases of one generic test as pytest params, with the entries' strict xfails for it."""
    out = []
    for case in cases:
        op, dtype = case if isinstance(case, tuple) else (case, None)
        marks = [pytest.mark.xfail(strict=True, reason=reason) for name, dt, reason in op.xfails
                 if name == test and dt in (None, dtype)]
        out.append(pytest.param(*(case if isinstance(case, tuple) else (case,)), marks=marks,
                                id=op.name if dtype is None else f"{op.name}-{dtype}"))
    return out


CASES = [(op, dt) for op in OPS for dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", params("forward", CASES))
def test_forward_matches_torch(op, dtype):
    tol, torch_computed = tolerances(op, dtype), False
    for i, sample, arrays in samples(op, dtype, rng_for(op, dtype)):
        e, t = build(sample, arrays, dtype)
        for k, fn in enumerate(op.variants if sample.all_variants else op.variants[:1]):
            t_res = outcome(t.run, fn)
            assert_same_outcome(outcome(e.run, fn), t_res, f"{op.name} {dtype} sample {i} variant {k}", tol)
            torch_computed |= t_res[1] is None
    assert torch_computed, f"op_db: torch raises on every {dtype} sample of {op.name}; drop the dtype"


ALIAS_CASES = [(op, op.dtypes[0]) for op in OPS]


@pytest.mark.parametrize("op,dtype", params("alias", ALIAS_CASES))
def test_outputs_alias_inputs_like_torch(op, dtype):
    """After new values are written into the inputs, the outputs read what torch's read: a view
    where torch's is a view, a copy where torch's is a copy."""
    rng, tol = rng_for(op, dtype, 5), tolerances(op, dtype)
    for i, sample, arrays in samples(op, dtype, rng):
        e, t = build(sample, arrays, dtype)
        (e_out, e_exc), (t_out, t_exc) = outcome(e.run, op.variants[0]), outcome(t.run, op.variants[0])
        if t_exc is not None or e_exc is not None:
            continue  # the forward test compares the errors
        for arr, e_leaf, t_leaf in zip(make_arrays(op, sample, dtype, rng), e.leaves, t.leaves):
            e_leaf.copy_(ember.tensor(arr, dtype=E_DTYPE[dtype]))
            t_leaf.copy_(torch.tensor(arr, dtype=T_DTYPE[dtype]))
        assert_same_result(e_out, t_out, tol, f"{op.name} sample {i} after writing into its inputs")


UNSUPPORTED = [(op, dt) for op in OPS for dt in ALL if dt not in op.dtypes]


@pytest.mark.parametrize("op,dtype", params("unsupported", UNSUPPORTED))
def test_unsupported_dtype_raises_like_torch(op, dtype):
    i, sample, arrays = next(samples(op, dtype, rng_for(op, dtype)))
    e, t = build(sample, arrays, dtype)
    _, t_exc = outcome(t.run, op.variants[0])
    assert t_exc is not None, f"op_db: torch computes {op.name} on {dtype}; list the dtype as supported"
    _, e_exc = outcome(e.run, op.variants[0])
    assert isinstance(e_exc, type(t_exc)), f"torch raised {type(t_exc).__name__}, ember {e_exc!r}"


GRAD_CASES = [(op, dt) for op in OPS if op.differentiable for dt in FLOATS if dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", params("gradients", GRAD_CASES))
def test_gradients_match_torch(op, dtype):
    tol = tolerances(op, dtype, "grad_tol")
    rng = rng_for(op, dtype, 1)
    for i, sample, arrays in samples(op, dtype, rng, grad_only=True):
        e, t = build(sample, arrays, dtype, requires_grad=True)
        (t_out, t_exc), (e_out, e_exc) = outcome(t.run, op.variants[0]), outcome(e.run, op.variants[0])
        if t_exc is not None:  # the forward test compares the errors
            continue
        assert e_exc is None, f"{op.name} sample {i}: {e_exc!r}"
        e_outs, t_outs = tensors_of(e_out), tensors_of(t_out)
        assert [o.requires_grad for o in e_outs] == [o.requires_grad for o in t_outs], f"{op.name} {i}: requires_grad"
        roots = [k for k, o in enumerate(t_outs) if o.requires_grad]
        if not roots:
            continue
        gs = [rng.standard_normal(tuple(t_outs[k].shape)) for k in roots]
        e_res = outcome(ember.autograd.backward, [e_outs[k] for k in roots],
                        [ember.tensor(g, dtype=E_DTYPE[dtype]) for g in gs])
        t_res = outcome(torch.autograd.backward, [t_outs[k] for k in roots],
                        [torch.tensor(g, dtype=T_DTYPE[dtype]) for g in gs])
        if t_res[1] is not None:  # PyTorch records the op but cannot differentiate it (floor_divide)
            assert isinstance(e_res[1], type(t_res[1])), f"{op.name} sample {i}: torch raised {t_res[1]!r}"
            continue
        assert e_res[1] is None, f"{op.name} sample {i}: {e_res[1]!r}"
        for k, (el, tl) in enumerate(zip(e.leaves, t.leaves)):
            what = f"{op.name} {dtype} sample {i}: grad of operand {k}"
            if tl.grad is None:
                assert el.grad is None or not el.grad.abs().sum().item(), what
            else:
                assert el.grad is not None, what
                assert_same(el.grad, tl.grad, tol, what)


GRADCHECK = [op for op in OPS if op.differentiable and op.gradcheck and F64 in op.dtypes]


@pytest.mark.parametrize("op", params("gradcheck", GRADCHECK))
def test_gradcheck_float64(op):
    """Finite differences through the sample's views; pointwise ops on their first two samples."""
    rng = rng_for(op, F64, 2)
    checked = [s for s in op.sample_list() if s.grad and s.gradcheck and s.runs_on(F64)]
    checked = checked[:2] if op.samples is None else checked
    for i, sample in enumerate(checked):
        e, t = build(sample, make_arrays(op, sample, F64, rng), F64, requires_grad=True)
        if outcome(t.run, op.variants[0])[1] is not None:  # the forward test compares the errors
            continue

        def fn(*leaves):
            operands = [apply_view(leaf, view) for leaf, (_, view) in zip(leaves, sample.operands)]
            out = op.variants[0](ember, *operands, *e.args, **e.kwargs)
            return tuple(o for o in tensors_of(out) if o.is_floating_point())
        assert ember.autograd.gradcheck(fn, tuple(e.leaves)), f"{op.name} sample {i}"


INPLACE = [(op, dt) for op in OPS if op.inplace is not None for dt in op.dtypes]


@pytest.mark.parametrize("op,dtype", params("inplace", INPLACE))
def test_inplace_matches_torch(op, dtype):
    tol = tolerances(op, dtype)
    for i, sample, arrays in samples(op, dtype, rng_for(op, dtype, 3)):
        if not sample.in_place:
            continue
        e, t = build(sample, arrays, dtype)
        what = f"{op.name}_ {dtype} sample {i}"
        e_res = outcome(lambda c: op.inplace(*c.operands, *c.args, **c.kwargs), e)
        t_res = outcome(lambda c: op.inplace(*c.operands, *c.args, **c.kwargs), t)
        assert_same_outcome(e_res, t_res, what, tol)
        if t_res[1] is None:
            assert e_res[0] is e.operands[0], f"{what}: the in-place form must return self"
            assert_same(e.operands[0], t.operands[0], tol, what)


SECOND_ORDER = [op for op in OPS if op.differentiable and op.gradcheck and op.second_order and F64 in op.dtypes]


def second_order_sample(op):
    """Pointwise ops: same shapes (unary) or broadcasting (n-ary); tables: their first grad sample."""
    if op.samples is None:
        return op.sample_list()[1 if op.arity > 1 else 0]
    return next(s for s in op.samples if s.grad and s.runs_on(F64))


@pytest.mark.parametrize("op", params("second_order", SECOND_ORDER))
def test_second_derivatives_match_torch(op):
    """create_graph=True: each backward formula is itself differentiable and agrees with torch."""
    rng = rng_for(op, F64, 4)
    sample = second_order_sample(op)
    e, t = build(sample, make_arrays(op, sample, F64, rng), F64, requires_grad=True)
    e_out = next(o for o in tensors_of(e.run(op.variants[0])) if o.requires_grad)
    t_out = next(o for o in tensors_of(t.run(op.variants[0])) if o.requires_grad)
    v = rng.standard_normal(tuple(t_out.shape))
    el, tl = e.leaves, t.leaves
    e_first = ember.autograd.grad((e_out * ember.tensor(v)).sum(), el, create_graph=True, allow_unused=True)
    t_first = torch.autograd.grad((t_out * torch.tensor(v)).sum(), tl, create_graph=True, allow_unused=True)
    for k, (e_g, t_g) in enumerate(zip(e_first, t_first)):
        if t_g is not None:
            assert_same(e_g, t_g, TOL, f"{op.name}: first derivative {k}")
    if t_first[0] is None or not t_first[0].requires_grad:  # a constant first derivative has no graph
        return
    u = rng.standard_normal(tuple(t_first[0].shape))
    t_second, t_exc = outcome(lambda: torch.autograd.grad((t_first[0] * torch.tensor(u)).sum(), tl, allow_unused=True))
    if isinstance(t_exc, NotImplementedError):  # torch has no second derivative (cdist): finite differences
        def fn(*leaves):
            operands = [apply_view(leaf, view) for leaf, (_, view) in zip(leaves, sample.operands)]
            return next(o for o in tensors_of(op.variants[0](ember, *operands, *e.args, **e.kwargs)) if o.requires_grad)
        assert ember.autograd.gradgradcheck(fn, tuple(el)), op.name
        return
    assert t_exc is None, f"{op.name}: {t_exc!r}"
    if not e_first[0].requires_grad:  # ember saw that the derivative is piecewise constant (relu)
        assert all(t_g is None or not t_g.abs().sum().item() for t_g in t_second), op.name
        return
    e_second = ember.autograd.grad((e_first[0] * ember.tensor(u)).sum(), el, allow_unused=True)
    for k, (e_g, t_g) in enumerate(zip(e_second, t_second)):
        what = f"{op.name}: second derivative {k}"
        if t_g is None or t_g._is_zerotensor() or not t_g.abs().sum().item():  # structurally zero
            assert e_g is None or np.allclose(e_g.detach().numpy(), 0.0), what
        else:
            assert e_g is not None, what
            assert_same(e_g, t_g, TOL, what)
