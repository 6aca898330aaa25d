"""The op table's indexing ops: gather, scatter_add, index_select, masked_fill, masked_select,
where over a mask, and __getitem__ (basic: ints, slices with steps, None, Ellipsis; advanced:
int tensors and lists, bool masks, mixed with slices) with its in-place twin __setitem__.
Samples: repeated indices (gradients accumulate), negative dims and indices, broadcast masks,
transposed inputs and indices, 0-d and empty tensors, and the indices PyTorch refuses."""
import numpy as np

from op_info import ALL, B, Const, OpInfo, S, function, method

T = ((4, 3), "t")
EXPANDED = ((1, 4), ("expand", (3, 4)))


def idx(*values):
    return Const(np.array(values, dtype=np.int64))


def mask(*rows):
    return Const(np.array(rows, dtype=bool), B)


IDX_T = Const(np.array([[0, 3, 1], [2, 2, 0]]), view="t")            # (3, 2), non-contiguous
MASK_34 = mask([True, False, True, True], [False, False, False, True], [True, True, False, False])
MASK_4 = mask(True, False, False, True)
MASK_31 = mask([True], [False], [True])

GATHER = [S((3, 4), args=(1, idx([0, 3], [1, 1], [2, 0]))), S((3, 4), args=(0, idx([2, 0, 1, 2], [0, 0, 0, 1]))),
          S((3, 4), args=(-1, IDX_T)), S(T, args=(0, idx([1, 2], [0, 0]))), S(EXPANDED, args=(1, idx([3], [0], [0]))),
          S((3, 4), args=(1, idx([0], [1]))), S((), args=(0, Const(np.array(0)))),
          S((3, 4), args=(1, Const(np.zeros((3, 0), dtype=np.int64)))),
          S((3, 4), args=(1, idx([0, 4], [1, 1], [2, 0]))),
          S((3, 4), args=(1, Const(np.array([[0.0, 1.0]]), None)))]
SCATTER_ADD = [S((3, 4), (2, 4), args=(0, idx([2, 0, 1, 2], [0, 0, 0, 1]))),
               S((3, 4), (3, 2), args=(1, idx([0, 3], [1, 1], [2, 0]))),
               S(T, ((2, 3), "t"), args=(-1, IDX_T)),
               # src larger than index: torch's backward returns a gradient of index's shape for src and fails
               S((3, 4), (3, 3), args=(1, idx([0, 3], [1, 1])), grad=False),
               S((), (), args=(0, Const(np.array(0)))), S((3, 4), (2, 4), args=(0, idx([3, 0, 1, 2], [0, 0, 0, 1])))]
INDEX_SELECT = [S((3, 4), args=(0, idx(2, 0, 2, 1))), S((3, 4), args=(-1, idx(3, 3))), S(T, args=(1, idx(0, 2))),
                S(EXPANDED, args=(0, idx(1, 1))), S((2, 3, 4), args=(1, idx(2, 0))), S((), args=(0, idx(0))),
                S((3, 4), args=(1, Const(np.zeros(0, dtype=np.int64)))), S((3, 4), args=(0, idx(3))),
                S((3, 4), args=(0, idx([0, 1])))]
# torch's masked_fill_ into an expanded self is deprecated (a warning) and writes where any alias is masked
MASKED = [S((3, 4), args=(MASK_34,)), S((3, 4), args=(MASK_4,)), S(T, args=(MASK_31,)),
          S(EXPANDED, args=(MASK_34,), in_place=False),
          S((4,), args=(MASK_34,)), S((), args=(mask(True),)), S((0, 4), args=(MASK_4,)),
          S((3, 4), args=(mask(True, False),)), S((3, 4), args=(idx(1, 0, 0, 1),))]

KEYS = [1, -1, (slice(1, 3),), (Ellipsis, 1), (None, slice(None), 0), (slice(None, None, 2),),
        (slice(1, None), slice(None, None, 3)), (slice(2, 1),), (0, None, -2), idx(2, 0, 2), [0, 2, 0],
        MASK_34, MASK_31, (idx(1, -1), slice(1, 3)), (slice(None), idx(3, 0)), (idx([0], [2]), idx(1, 3)),
        (Ellipsis, None), (MASK_31, 1), 3, (0, 0, 0), (slice(None), idx(4))]
GETITEM = [S((3, 4), args=(key,)) for key in KEYS] + [
    S(T, args=((slice(None), 1),)), S(T, args=(idx(2, 0),)), S(EXPANDED, args=((1, slice(1, 3)),)),
    S(((3, 8), ("getitem", (slice(None), slice(None, None, 2)))), args=((idx(0, 2), slice(None, None, -1)),)),
    S((), args=((),)), S((), args=(None,)), S((), args=(Ellipsis,)), S((0, 3), args=((slice(None), 1),)),
    S((0, 3), args=(Const(np.zeros(0, dtype=np.int64)),))]


def setitem(x, key):
    """x[key] = 0.5, also through a transposed, strided or expanded view."""
    x[key] = 0.5
    return x


OPS = [
    OpInfo("gather", (function("gather"), method("gather")), dtypes=ALL, samples=GATHER),
    OpInfo("scatter_add", (lambda L, x, src, dim, index: L.scatter_add(x, dim, index, src),
                           lambda L, x, src, dim, index: x.scatter_add(dim, index, src)), dtypes=ALL,
           samples=SCATTER_ADD),
    OpInfo("index_select", (function("index_select"), method("index_select")), dtypes=ALL, samples=INDEX_SELECT),
    OpInfo("masked_fill", (lambda L, x, m: L.masked_fill(x, m, -0.5), lambda L, x, m: x.masked_fill(m, 2),
                           lambda L, x, m: x.masked_fill(m, float("nan"))), dtypes=ALL, samples=MASKED,
           inplace=lambda x, m: x.masked_fill_(m, 1.5)),
    # a 0-d tensor as the value: its gradient is the sum of the filled positions' gradients
    OpInfo("masked_fill_tensor", (lambda L, x, v, m: L.masked_fill(x, m, v), lambda L, x, v, m: x.masked_fill(m, v)),
           dtypes=ALL, samples=[S((3, 4), (), args=(MASK_34,)), S(T, (), args=(MASK_31,)),
                                S((3, 4), (1,), args=(MASK_4,))]),
    OpInfo("masked_select", (function("masked_select"), method("masked_select")), dtypes=ALL, samples=MASKED),
    OpInfo("where_mask", (lambda L, a, b, m: L.where(m, a, b), lambda L, a, b, m: a.where(m, b)), dtypes=ALL,
           samples=[S((3, 4), (3, 4), args=(MASK_34,)), S((3, 4), (4,), args=(MASK_31,)), S(T, (), args=(MASK_4,)),
                    S((), (), args=(mask(False),)), S((0, 4), (4,), args=(MASK_4,)),
                    S((3, 4), (3, 4), args=(idx(1, 0, 0, 1),))]),
    OpInfo("getitem", (lambda L, x, key: x[key],), dtypes=ALL, samples=GETITEM, inplace=setitem),
]
