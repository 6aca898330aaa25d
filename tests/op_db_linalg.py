"""The op table's matrix products: matmul over every rank combination (1-D, 2-D, batched with
broadcast batch dims), mm, bmm, mv, dot, outer, addmm, baddbmm, tensordot, einsum (plain
contractions) and cdist. Samples: transposed and expanded operands, empty inner or outer dims,
0-d operands and mismatched shapes (the error type is compared), beta=0 over a NaN input."""
import numpy as np

from op_info import ALL, FLOATS, NAN, NUMERIC, OpInfo, S, Sample, function, method

T34 = ((4, 3), "t")                              # a non-contiguous (3, 4)
T23 = ((3, 2), "t")
BATCH_EXPANDED = ((1, 3, 4), ("expand", (2, 3, 4)))
BATCH_PERMUTED = ((3, 2, 4), ("permute", (1, 0, 2)))   # (2, 3, 4), batch dim not outermost

MATMUL = [S((3,), (3,)), S((2, 3), (3,)), S((3,), (3, 4)), S((2, 3), (3, 4)), S((2, 2, 3), (3, 4)),
          S((3,), (2, 3, 4)), S((2, 1, 2, 3), (3, 3, 2)), S((2, 3, 4), (4,)), S(T34, (4, 2)), S(T23, T34),
          S(BATCH_EXPANDED, (4, 2)), S(BATCH_PERMUTED, ((2, 4, 5), ("getitem", (slice(None), slice(None), 0)))),
          S((2, 0), (0, 3)), S((0, 3), (3, 4)), S((2, 3, 0), (0,)), S((2, 3), (4, 2)), S((), (3,)),
          S((3,), (4,))]
MM = [S((2, 3), (3, 4)), S(T23, T34), S((0, 3), (3, 2)), S((2, 0), (0, 3)), S((2, 3), (4, 2)), S((3,), (3, 4))]
BMM = [S((2, 2, 3), (2, 3, 4)), S(BATCH_PERMUTED, (2, 4, 2)), S(BATCH_EXPANDED, ((2, 2, 4), ("permute", (0, 2, 1)))),
       S((0, 2, 3), (0, 3, 1)), S((2, 2, 3), (3, 3, 4)), S((2, 3), (3, 4))]
MV = [S((2, 3), (3,)), S(T34, (4,)), S((0, 3), (3,)), S((2, 0), (0,)), S((2, 3), (4,)), S((3,), (3,))]
DOT = [S((3,), (3,)), S(((6,), ("getitem", slice(None, None, 2))), (3,)), S((0,), (0,)), S((3,), (4,)),
       S((2, 3), (2, 3))]
OUTER = [S((3,), (4,)), S(((6,), ("getitem", slice(None, None, 2))), (2,)), S((0,), (2,)), S((), (2,))]

WITH_NAN = np.array([[NAN, 1.0, 0.5, -1.0], [2.0, NAN, 0.0, 1.0]])
ADDMM = [S((2, 4), (2, 3), (3, 4)), S((4,), (2, 3), (3, 4), kwargs=dict(beta=0.5, alpha=2)),
         S((), T23, T34, kwargs=dict(alpha=-1)), S((2, 1), (2, 0), (0, 4), kwargs=dict(beta=2)),
         Sample(((WITH_NAN, None), ((2, 3), None), ((3, 4), None)), kwargs=dict(beta=0), dtypes=FLOATS, grad=False),
         S((2, 4), (2, 3), (4, 3))]
BADDBMM = [S((2, 2, 4), (2, 2, 3), (2, 3, 4)), S((2, 4), (2, 2, 3), (2, 3, 4), kwargs=dict(beta=0.5, alpha=2)),
           S((), BATCH_PERMUTED, (2, 4, 1), kwargs=dict(alpha=0.5)), S((2, 2, 4), (2, 2, 3), (2, 2, 4))]
TENSORDOT = [S((2, 3, 4), (3, 4, 2)), S((2, 3, 4), (4, 2), kwargs=dict(dims=1)), S((2, 3), (4,), kwargs=dict(dims=0)),
             S((2, 3, 4), (3, 2, 5), kwargs=dict(dims=([1, 0], [0, 1]))), S(T34, (4, 2), kwargs=dict(dims=([1], [0]))),
             S((2, 3, 4), (4, 2), kwargs=dict(dims=([-1], [0]))), S((2, 3), (3, 2), kwargs=dict(dims=([1], [1])))]
EINSUM = [S((2, 3), (3, 4), args=("ij,jk->ik",)), S((2, 2, 3), (2, 3, 4), args=("bij,bjk->bik",)),
          S((3,), (3,), args=("i,i->",)), S((3,), (4,), args=("i,j->ij",)), S((2, 3), (3,), args=("ij,j->i",)),
          S(T34, args=("ij->ji",)), S((3, 4), args=("ij->j",)), S((2, 3, 4), args=("bij->",)),
          S((2, 3), (3, 4), args=("ij,jk",)), S(T34, (4, 2), (2, 5), args=("ij,jk,kl->il",)),
          S((2, 3), (2, 3), args=("ij,ij->ij",)), S((2, 3), (4, 2), args=("ij,jk->ik",))]
CDIST = [S((3, 4), (5, 4)), S((3, 4), (5, 4), kwargs=dict(p=1.0)), S(T34, (2, 4), kwargs=dict(p=3.0)),
         S((2, 3, 4), (2, 5, 4)), S((3, 4), (1, 4), kwargs=dict(p=float("inf"))), S((0, 4), (2, 4)),
         Sample(((np.array([[0.5, -1.0], [2.0, 0.0]]), None), (np.array([[0.5, -1.0], [1.0, 1.0]]), None)),
                grad=True, gradcheck=False),   # a zero distance: its gradient is 0, as PyTorch's
         S((3, 4), (5, 3)), S((4,), (5, 4))]


def product(name, samples, dtypes=NUMERIC, method_too=True, **kw):
    variants = (function(name), method(name)) if method_too else (function(name),)
    return OpInfo(name, variants, dtypes=dtypes, samples=tuple(samples), **kw)


OPS = [
    OpInfo("matmul", (function("matmul"), method("matmul"), lambda L, a, b: a @ b), dtypes=NUMERIC, samples=MATMUL),
    product("mm", MM), product("bmm", BMM), product("mv", MV), product("dot", DOT), product("outer", OUTER, ALL),
    product("addmm", ADDMM), product("baddbmm", BADDBMM), product("tensordot", TENSORDOT, method_too=False),
    OpInfo("einsum", (lambda L, *ops, eq: L.einsum(eq, *ops), lambda L, *ops, eq: L.einsum(eq, list(ops))),
           dtypes=NUMERIC, samples=tuple(Sample(s.operands, kwargs=dict(eq=s.args[0])) for s in EINSUM)),
    product("cdist", CDIST, FLOATS, method_too=False),
]
