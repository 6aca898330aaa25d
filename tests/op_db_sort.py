"""The op table's sorting and searching ops: sort, argsort, msort, topk, searchsorted. Samples:
the last and other dims, descending, stable over ties, transposed and expanded inputs, 0-d and
empty inputs, NaN / inf (sorted last, as PyTorch); searchsorted over 1-D and batched sorted
sequences, left / right, values outside the range and equal to its ends."""
import numpy as np

from op_info import ALL, INF, NAN, NUMERIC, OpInfo, S, function, given, method

T = ((4, 3), "t")
EXPANDED = ((1, 4), ("expand", (3, 4)))
NAN_ROWS = [[1.0, NAN, 3.0, -1.0], [2.0, 0.5, -INF, 4.0], [INF, 1.0, NAN, 0.0]]
TIES = [[3.0, 1.0, 3.0, 1.0, 2.0], [0.0, 0.0, -1.0, 0.0, 5.0]]

SORT_SAMPLES = [S((3, 4)), S((3, 4), args=(0,)), S((3, 4), kwargs=dict(descending=True)),
                S(T, kwargs=dict(dim=0, descending=True)), S(EXPANDED, args=(-1,)), S((2, 3, 4), args=(1,)),
                S(()), S((), kwargs=dict(dim=0)), S((0, 3)), S((0, 3), args=(0,)), S((5,)),
                given(NAN_ROWS), given(NAN_ROWS, kwargs=dict(descending=True)), given(NAN_ROWS, args=(0,)),
                given(TIES, kwargs=dict(stable=True), dtypes=ALL),
                given(TIES, kwargs=dict(stable=True, descending=True), dtypes=ALL),
                given(TIES, kwargs=dict(dim=0, stable=True), dtypes=ALL)]
TOPK_SAMPLES = [S((3, 4), args=(2,)), S((3, 4), args=(1, 0)), S((3, 4), args=(3,), kwargs=dict(largest=False)),
                S(T, args=(2,), kwargs=dict(dim=0, largest=True, sorted=True)), S(EXPANDED, args=(4, -1)),
                S((2, 3, 4), args=(2, 1)), S((), args=(1,)), S((3, 4), args=(0,)), S((0, 3), args=(2,)),
                S((3, 4), args=(5,)), S((5,), args=(5,)), given(NAN_ROWS, args=(2,)),
                given(NAN_ROWS, args=(2,), kwargs=dict(largest=False)), given(NAN_ROWS, args=(2, 0))]
MSORT_SAMPLES = [S((3, 4)), S(T), S(EXPANDED), S((2, 3, 4)), S((5,)), S(()), S((0, 3)), given(NAN_ROWS)]

SEQ = np.array([-1.5, -0.5, 0.0, 0.5, 2.0])           # sorted, ints cast to [-1, 0, 0, 0, 2]
SEQ_2D = np.array([[-2.0, -1.0, 0.0, 1.0], [0.0, 0.5, 1.5, 3.0], [-3.0, -3.0, 1.0, 1.0]])
ENDS = np.array([-1.5, 2.0, -9.0, 9.0, 0.0])         # at the ends and outside the sequence
SEARCH_SAMPLES = [S(SEQ, (3, 4)), S(SEQ, (3, 4), kwargs=dict(right=True)), S(SEQ, T, kwargs=dict(side="right")),
                  S(SEQ, ENDS), S(SEQ, ENDS, kwargs=dict(right=True)), S(SEQ, (0,)), S(SEQ_2D, (3, 5)),
                  S(SEQ_2D, (3, 2), kwargs=dict(right=True)), S((np.ascontiguousarray(SEQ_2D.T), "t"), (3, 2)),
                  S(SEQ, ())]

OPS = [
    OpInfo("sort", (function("sort"), method("sort")), dtypes=ALL, samples=SORT_SAMPLES, distinct=True),
    OpInfo("argsort", (function("argsort"), method("argsort")), dtypes=ALL, samples=SORT_SAMPLES, distinct=True,
           differentiable=False),
    OpInfo("msort", (function("msort"), method("msort")), dtypes=ALL, samples=MSORT_SAMPLES, distinct=True),
    OpInfo("topk", (function("topk"), method("topk")), dtypes=NUMERIC, samples=TOPK_SAMPLES, distinct=True),
    OpInfo("searchsorted", (function("searchsorted"),), dtypes=NUMERIC, samples=SEARCH_SAMPLES,
           differentiable=False),
]
