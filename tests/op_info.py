"""The machinery of the OpInfo-style op tables (issue 12): what an entry is (OpInfo), what one
sample input is (Sample, Const), how a sample's arrays are drawn and viewed, and the default
samples of a pointwise op. The tables are tests/op_db*.py; the generic tests are tests/test_ops.py.

An entry's callables take the library first, `fn(L, *operands, *args, **kwargs)`, with L either
ember or torch, so one lambda describes both sides (`lambda L, a, b: L.remainder(a, b)`).
Operands are the tensors in the dtype under test (they require grad in the gradient tests);
`args`/`kwargs` follow them, with each Const made a tensor in each library.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import numpy as np

F32, F64, I64, I32, B = "float32", "float64", "int64", "int32", "bool"
FLOATS = (F32, F64)
NUMERIC = (F32, F64, I64, I32)
INTEGRAL = (I64, I32, B)
ALL = (F32, F64, I64, I32, B)

SPECIALS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0]
NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Const:
    """A tensor argument outside the dtype under test (an index, a mask, a target) or one that
    takes no gradient: the same values in each library. dtype None: the dtype under test."""
    value: object
    dtype: Optional[str] = I64
    view: object = None


@dataclass(frozen=True)
class Sample:
    """One call: operands as (shape, view) drawn in the op's domain, or (ndarray, view) as given."""
    operands: tuple
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    all_variants: bool = True          # every variant runs on it (else variants[0] only)
    grad: bool = True                  # the gradient tests use it (not for NaN/inf values)
    gradcheck: bool = True             # finite differences hold (no ties, no kinks at the values)
    in_place: bool = True              # the in-place test uses it
    dtypes: Optional[Tuple[str, ...]] = None   # run only on these dtypes (given float values: FLOATS)

    def runs_on(self, dtype):
        return self.dtypes is None or dtype in self.dtypes


def S(*operands, **kwargs):
    """Sample shorthand: S((3, 4), ((4, 3), "t"), args=(1,), kwargs=dict(keepdim=True)). A bare
    shape or array is an operand without a view."""
    specs = tuple(o if isinstance(o, tuple) and len(o) == 2 and isinstance(o[0], (tuple, np.ndarray))
                  else (o, None) for o in operands)
    return Sample(specs, **kwargs)


def given(values, view=None, dtypes=FLOATS, grad=False, **kwargs):
    """A sample with one operand of given values (NaN, inf, ties, zeros ...): float dtypes only
    unless told, and out of the gradient tests unless told (then not gradchecked: ties, kinks)."""
    return Sample(((np.array(values, dtype=np.float64), view),), dtypes=dtypes, grad=grad, gradcheck=False,
                  **kwargs)


@dataclass(frozen=True)
class OpInfo:
    name: str
    variants: Tuple[Callable, ...]        # fn(L, *operands, *args, **kwargs)
    arity: int = 1                         # operands of the default (pointwise) samples
    dtypes: Tuple[str, ...] = FLOATS       # where PyTorch computes it (others raise, as in torch)
    domain: Tuple = (-2.0, 2.0)            # float samples: one (lo, hi), or one per operand
    int_domain: Tuple = (-5, 5)            # int64 samples, likewise
    nonzero: Tuple[int, ...] = ()          # operands never 0 (divisors)
    differentiable: bool = True
    inplace: Optional[Callable] = None     # fn(self, *others, *args, **kwargs): the in-place form
    nan_inf: bool = True                   # default samples: run the NaN / inf / signed-zero sample
    gradcheck: bool = True
    second_order: bool = True              # create_graph=True through the backward agrees with torch
    samples: Optional[Tuple[Sample, ...]] = None   # None: the pointwise samples of `arity`
    distinct: bool = False                 # int64 operands draw distinct values (no ties: sort, argmax)
    tol: dict = field(default_factory=dict)       # {dtype: dict(rtol=, atol=)} over the defaults
    grad_tol: dict = field(default_factory=dict)
    # Known ember gaps: (test, dtype or None, reason), run as pytest.mark.xfail(strict=True) there.
    # test is one of "forward", "alias", "unsupported", "gradients", "gradcheck", "inplace", "second_order".
    xfails: Tuple[Tuple[str, Optional[str], str], ...] = ()

    def domain_of(self, k):
        return self.domain[k] if isinstance(self.domain[0], tuple) else self.domain

    def int_domain_of(self, k):
        return self.int_domain[k] if isinstance(self.int_domain[0], tuple) else self.int_domain

    def sample_list(self):
        return self.samples if self.samples is not None else pointwise_samples(self.arity, self.nan_inf)


# ---------------------------------------------------------------- pointwise samples

# One spec per operand: (base shape, view), the view taken of the base (apply_view).
# Broadcasting, non-contiguous (transposed, permuted), expanded, 0-d and empty operands.
UNARY_SAMPLES = [
    [((3, 4), None)],
    [((4, 3), "t")],
    [((1, 4), ("expand", (3, 4)))],
    [((), None)],
    [((0, 3), None)],
]
BINARY_SAMPLES = [
    [((3, 4), None), ((3, 4), None)],
    [((3, 4), None), ((4,), None)],
    [((3, 1), None), ((1, 4), None)],
    [((2, 3, 4), None), ((3, 1), None)],
    [((), None), ((2, 3), None)],
    [((2, 3), None), ((), None)],
    [((1,), None), ((5,), None)],
    [((4, 1, 3), None), ((1, 2, 1), None)],
    [((4, 3), "t"), ((3, 4), None)],
    [((3, 4), None), ((1, 4), ("expand", (3, 4)))],
    [((4, 3), ["t", ("unsqueeze", -1), ("expand", (3, 4, 2))]), ((2, 3, 4), ("permute", (1, 2, 0)))],
    [((0, 3), None), ((3,), None)],
    [((), None), ((), None)],
]
TERNARY_SAMPLES = [
    [((3, 4), None), ((3, 4), None), ((3, 4), None)],
    [((3, 4), None), ((4,), None), ((3, 1), None)],
    [((4, 3), "t"), ((1, 4), ("expand", (3, 4))), ((), None)],
    [((0, 3), None), ((3,), None), ((1, 3), None)],
    [((), None), ((), None), ((), None)],
]
POINTWISE_SAMPLES = {1: UNARY_SAMPLES, 2: BINARY_SAMPLES, 3: TERNARY_SAMPLES}


def special_sample(arity):
    """Every combination of the special values (NaN, +-inf, +-0 ...) across the operands."""
    n = len(SPECIALS)
    shapes = {1: [(n,)], 2: [(n, 1), (1, n)], 3: [(n, 1, 1), (1, n, 1), (1, 1, n)]}[arity]
    return Sample(tuple((np.array(SPECIALS).reshape(s), None) for s in shapes), dtypes=FLOATS, grad=False)


def pointwise_samples(arity, nan_inf=True):
    """Every variant runs on the first sample and on the special values; variants[0] on the rest."""
    out = [Sample(tuple(spec), all_variants=(i == 0)) for i, spec in enumerate(POINTWISE_SAMPLES[arity])]
    return out + [special_sample(arity)] if nan_inf else out


# ---------------------------------------------------------------- arrays and views

def make_arrays(op, sample, dtype, rng):
    arrays = []
    for k, (shape, _) in enumerate(sample.operands):
        if isinstance(shape, np.ndarray):
            arr = shape
        elif dtype == B:
            arr = rng.random(shape) < 0.5
            if k in op.nonzero:
                arr = np.ones(shape, dtype=bool)
        elif dtype in (I64, I32):
            lo, hi = op.int_domain_of(k)
            if op.distinct:
                n = int(np.prod(shape, dtype=np.int64))
                arr = (rng.permutation(n) - n // 2).reshape(shape)
            else:
                arr = rng.integers(lo, hi + 1, size=shape)
            if k in op.nonzero:
                arr = np.where(arr == 0, 3, arr)
        else:
            lo, hi = op.domain_of(k)
            arr = rng.uniform(lo, hi, size=shape)
        arrays.append(np.asarray(arr))
    return arrays


def apply_view(t, view):
    """view: None, "t", ("getitem", key), ("expand", shape), ("permute", dims), ("unsqueeze", dim) --
    any method name with its argument (a tuple: the arguments) -- or a list of them in turn."""
    if view is None:
        return t
    if isinstance(view, list):
        for step in view:
            t = apply_view(t, step)
        return t
    if view == "t":
        return t.t()
    if view[0] == "getitem":
        return t[view[1]]
    return getattr(t, view[0])(*view[1]) if isinstance(view[1], tuple) else getattr(t, view[0])(view[1])


# ---------------------------------------------------------------- variants

def method(name, **fixed):
    return lambda L, x, *rest, **kw: getattr(x, name)(*rest, **fixed, **kw)


def function(name, **fixed):
    return lambda L, *args, **kw: getattr(L, name)(*args, **fixed, **kw)


def functional(name, **fixed):
    return lambda L, *args, **kw: getattr(L.nn.functional, name)(*args, **fixed, **kw)


def inplace_method(name, *extra, **fixed):
    return lambda x, *rest, **kw: getattr(x, name)(*rest, *extra, **fixed, **kw)
