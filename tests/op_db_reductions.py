"""The op table's reductions, scans and sorts: sum, mean, prod, amax/amin, max/min (values and
indices), argmax/argmin, var/std, logsumexp, norm, all/any, count_nonzero, cumsum/cumprod/
logcumsumexp, median, kthvalue; sort, argsort, msort, topk, searchsorted. Samples: the whole
tensor, one dim, several dims, negative dims, keepdim, descending, stable over ties, transposed
and expanded inputs, 0-d and empty inputs, NaN / inf (sorted last, as PyTorch), ties and zeros;
searchsorted over 1-D and batched sorted sequences, left / right, values at and past the ends."""
import numpy as np

from op_info import ALL, FLOATS, INF, NAN, NUMERIC, OpInfo, S, function, given, method

T = ((4, 3), "t")                       # a non-contiguous (3, 4)
EXPANDED = ((1, 4), ("expand", (3, 4)))
NAN_ROWS = [[1.0, NAN, 3.0, -1.0], [2.0, 0.5, -INF, 4.0], [INF, 1.0, -2.0, 0.0]]
TIES = [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, -1.0, 5.0]]
ZEROS = [[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [2.0, -0.5, 1.0, 1.5]]


def dim_samples(multi=True, full=True, no_dims=True):
    """dim / keepdim cases of a reduction written op(x, dim=None, keepdim=False); no_dims: dim=()."""
    out = [S((3, 4), args=(1,)), S((3, 4), args=(-1,), kwargs=dict(keepdim=True)), S(T, args=(0,)),
           S(EXPANDED, args=(0,), kwargs=dict(keepdim=True)), S((2, 3, 4), args=(-2,)), S((), args=(0,)),
           S((), args=(-1,), kwargs=dict(keepdim=True)), S((0, 3), args=(1,)), S((0, 3), args=(0,)),
           given(NAN_ROWS, args=(1,)), given(NAN_ROWS, args=(0,))]
    if full:
        out += [S((3, 4)), S(T), S(()), S((0, 3)), given(NAN_ROWS)]
    if multi:
        out += [S((2, 3, 4), args=((0, 2),)), S((2, 3, 4), args=((-1, 0),), kwargs=dict(keepdim=True)),
                S((0, 3), args=((0, 1),))] + ([S((2, 3, 4), args=((),))] if no_dims else [])
    return out


def scan_samples(zeros=False):
    out = [S((3, 4), args=(1,)), S((3, 4), args=(0,)), S(T, args=(-1,)), S(EXPANDED, args=(0,)),
           S((2, 3, 4), args=(1,)), S((), args=(0,)), S((0, 3), args=(0,)), S((0, 3), args=(1,)),
           given(NAN_ROWS, args=(1,)), given(NAN_ROWS, args=(0,))]
    return out + [given(ZEROS, args=(1,), grad=True), given(ZEROS, args=(0,), grad=True)] if zeros else out


def reduction(name, dtypes=ALL, samples=None, **kw):
    return OpInfo(name, (function(name), method(name)), dtypes=dtypes,
                  samples=tuple(samples if samples is not None else dim_samples()), **kw)


VAR_SAMPLES = ([S((3, 4)), S(T), S((3, 4), args=(1,)), S((2, 3, 4), args=((0, 2),), kwargs=dict(keepdim=True)),
                S((3, 4), kwargs=dict(dim=0, correction=0)), S((3, 4), kwargs=dict(dim=-1, correction=2)),
                S((3, 4), args=(0,), kwargs=dict(unbiased=False)), S((3, 4), kwargs=dict(correction=0)),
                S((1, 4), args=(0,)), S(()), S((), kwargs=dict(correction=0)), S((0, 3), args=(1,)),
                S((0, 3)), given(NAN_ROWS, args=(1,))])
NORM_SAMPLES = [S((3, 4)), S(T), S((3, 4), args=(1,)), S((3, 4), args=(3.0, -1), kwargs=dict(keepdim=True)),
                S((3, 4), args=(1, 0)), S((2, 3, 4), args=(2, (0, 2))), S((3, 4), args=(INF, 1)),
                S((3, 4), args=(-INF,)), S((3, 4), args=(0,)), S((3, 4), args=("fro",)), S(()), S((0, 3)),
                given(ZEROS, args=(2, 1), grad=True), given(ZEROS, args=(1, 0), grad=True),
                given(NAN_ROWS, args=(2, 1))]
PAIR_SAMPLES = [S((3, 4)), S(T), S(()), S((0, 3)), given(NAN_ROWS), S((3, 4), args=(1,)),
                S((3, 4), args=(-1,), kwargs=dict(keepdim=True)), S(T, args=(0,)), S(EXPANDED, args=(1,)),
                S((2, 3, 4), args=(-2,)), S((), args=(0,)), S((0, 3), args=(1,)), S((0, 3), args=(0,)),
                given(NAN_ROWS, args=(1,)), given(NAN_ROWS, args=(0,)), given(TIES, args=(1,), grad=True),
                given(TIES, grad=True), S((3, 4), (4,)), S(T, ((3, 1), None))]
ARG_SAMPLES = [S((3, 4)), S(T), S(()), S((0, 3)), S((3, 4), args=(1,)),
               S((3, 4), args=(-1,), kwargs=dict(keepdim=True)), S(T, args=(0,)), S((2, 3, 4), args=(1,)),
               S((), args=(0,)), S((0, 3), args=(1,)), S((0, 3), args=(0,)), given(NAN_ROWS, args=(1,)),
               given(NAN_ROWS), given(TIES, args=(1,), dtypes=NUMERIC), given(TIES, dtypes=NUMERIC)]
MEDIAN_SAMPLES = [S((3, 4)), S(T), S(()), S((3, 4), args=(1,)), S((3, 4), args=(0,), kwargs=dict(keepdim=True)),
                  S((2, 3, 4), args=(-1,)), S((), args=(0,)), S((0, 3), args=(1,)), S((0, 3), args=(0,)),
                  given(NAN_ROWS, args=(1,)), given(NAN_ROWS), S((0, 3))]
KTH_SAMPLES = [S((3, 4), args=(2,)), S((3, 4), args=(1, 0)), S(T, args=(4,), kwargs=dict(dim=1, keepdim=True)),
               S((2, 3, 4), args=(2, -2)), S((), args=(1,)), S((0, 3), args=(1, 1)), S((3, 4), args=(5,)),
               S((0, 3), args=(1, 0)), given(NAN_ROWS, args=(2,)), given(NAN_ROWS, args=(3, 0))]

REDUCTION_OPS = [
    reduction("sum"),
    reduction("mean", FLOATS),
    reduction("prod", samples=dim_samples(multi=False) + [given(ZEROS, args=(1,), grad=True), given(ZEROS, grad=True),
                                                          given([[2.0, 0.0, 3.0]], grad=True)]),
    reduction("amax", samples=dim_samples(full=False) + [S((3, 4)), given(TIES, args=(1,), grad=True),
                                                         given(TIES, args=((0, 1),), grad=True)]),
    reduction("amin", samples=dim_samples(full=False) + [S((3, 4)), given(TIES, args=(0,), grad=True)]),
    reduction("max", samples=PAIR_SAMPLES),
    reduction("min", samples=PAIR_SAMPLES),
    reduction("argmax", NUMERIC, ARG_SAMPLES, differentiable=False),
    reduction("argmin", NUMERIC, ARG_SAMPLES, differentiable=False),
    reduction("var", FLOATS, VAR_SAMPLES),
    reduction("std", FLOATS, VAR_SAMPLES),
    # torch's logsumexp over dim=() fails inside (an output shape mismatch): not a case to follow
    reduction("logsumexp", ALL, dim_samples(full=False, no_dims=False)
              + [given([[INF, 1.0], [-INF, -INF], [INF, INF]], args=(1,))]),
    reduction("norm", FLOATS, NORM_SAMPLES),
    reduction("all", ALL, dim_samples(), differentiable=False),
    reduction("any", ALL, dim_samples(), differentiable=False),
    reduction("count_nonzero", ALL, dim_samples(), differentiable=False),
    reduction("cumsum", ALL, scan_samples()),
    reduction("cumprod", ALL, scan_samples(zeros=True)),
    reduction("logcumsumexp", FLOATS, scan_samples() + [given([[-INF, -INF, 1.0], [INF, -INF, 2.0]], args=(1,))]),
    reduction("median", NUMERIC, MEDIAN_SAMPLES, distinct=True),
    reduction("kthvalue", NUMERIC, KTH_SAMPLES, distinct=True),
]

# ---------------------------------------------------------------- sorting and searching

SORT_NAN_ROWS = [[1.0, NAN, 3.0, -1.0], [2.0, 0.5, -INF, 4.0], [INF, 1.0, NAN, 0.0]]   # NaN sorts last
SORT_TIES = [[3.0, 1.0, 3.0, 1.0, 2.0], [0.0, 0.0, -1.0, 0.0, 5.0]]

SORT_SAMPLES = [S((3, 4)), S((3, 4), args=(0,)), S((3, 4), kwargs=dict(descending=True)),
                S(T, kwargs=dict(dim=0, descending=True)), S(EXPANDED, args=(-1,)), S((2, 3, 4), args=(1,)),
                S(()), S((), kwargs=dict(dim=0)), S((0, 3)), S((0, 3), args=(0,)), S((5,)),
                given(SORT_NAN_ROWS), given(SORT_NAN_ROWS, kwargs=dict(descending=True)), given(SORT_NAN_ROWS, args=(0,)),
                given(SORT_TIES, kwargs=dict(stable=True), dtypes=ALL),
                given(SORT_TIES, kwargs=dict(stable=True, descending=True), dtypes=ALL),
                given(SORT_TIES, kwargs=dict(dim=0, stable=True), dtypes=ALL)]
TOPK_SAMPLES = [S((3, 4), args=(2,)), S((3, 4), args=(1, 0)), S((3, 4), args=(3,), kwargs=dict(largest=False)),
                S(T, args=(2,), kwargs=dict(dim=0, largest=True, sorted=True)), S(EXPANDED, args=(4, -1)),
                S((2, 3, 4), args=(2, 1)), S((), args=(1,)), S((3, 4), args=(0,)), S((0, 3), args=(2,)),
                S((3, 4), args=(5,)), S((5,), args=(5,)), given(SORT_NAN_ROWS, args=(2,)),
                given(SORT_NAN_ROWS, args=(2,), kwargs=dict(largest=False)), given(SORT_NAN_ROWS, args=(2, 0))]
MSORT_SAMPLES = [S((3, 4)), S(T), S(EXPANDED), S((2, 3, 4)), S((5,)), S(()), S((0, 3)), given(SORT_NAN_ROWS)]

SEQ = np.array([-1.5, -0.5, 0.0, 0.5, 2.0])           # sorted, ints cast to [-1, 0, 0, 0, 2]
SEQ_2D = np.array([[-2.0, -1.0, 0.0, 1.0], [0.0, 0.5, 1.5, 3.0], [-3.0, -3.0, 1.0, 1.0]])
ENDS = np.array([-1.5, 2.0, -9.0, 9.0, 0.0])         # at the ends and outside the sequence
SEARCH_SAMPLES = [S(SEQ, (3, 4)), S(SEQ, (3, 4), kwargs=dict(right=True)), S(SEQ, T, kwargs=dict(side="right")),
                  S(SEQ, ENDS), S(SEQ, ENDS, kwargs=dict(right=True)), S(SEQ, (0,)), S(SEQ_2D, (3, 5)),
                  S(SEQ_2D, (3, 2), kwargs=dict(right=True)), S((np.ascontiguousarray(SEQ_2D.T), "t"), (3, 2)),
                  S(SEQ, ())]

SORT_OPS = [
    OpInfo("sort", (function("sort"), method("sort")), dtypes=ALL, samples=SORT_SAMPLES, distinct=True),
    OpInfo("argsort", (function("argsort"), method("argsort")), dtypes=ALL, samples=SORT_SAMPLES, distinct=True,
           differentiable=False),
    OpInfo("msort", (function("msort"), method("msort")), dtypes=ALL, samples=MSORT_SAMPLES, distinct=True),
    OpInfo("topk", (function("topk"), method("topk")), dtypes=NUMERIC, samples=TOPK_SAMPLES, distinct=True),
    OpInfo("searchsorted", (function("searchsorted"),), dtypes=NUMERIC, samples=SEARCH_SAMPLES,
           differentiable=False),
]

OPS = REDUCTION_OPS + SORT_OPS
