"""The op table's shape and view ops: reshape, view, transpose, permute, t, flatten, squeeze,
unsqueeze, expand, broadcast_to, flip, roll, tril/triu, diag, repeat, repeat_interleave, cat,
stack, split, chunk, unbind, narrow, select. Samples: contiguous, transposed and expanded inputs
(where a view is possible and where it is not), negative dims, 0-d and empty tensors, and the
calls PyTorch refuses (the error type is compared). Every dtype: these ops move values only."""
import numpy as np

from op_info import ALL, Const, OpInfo, S, function, method

T = ((4, 3), "t")                               # a non-contiguous (3, 4)
EXPANDED = ((1, 4), ("expand", (3, 4)))
STEP = ((3, 8), ("getitem", (slice(None), slice(None, None, 2))))   # (3, 4), every other column


def shape_op(name, samples, variants=None, **kw):
    return OpInfo(name, variants or (function(name), method(name)), dtypes=ALL, samples=tuple(samples), **kw)


def varargs(name):
    """x.reshape(2, 3) as well as x.reshape((2, 3)) (an empty shape stays a tuple: x.reshape(()))."""
    return lambda L, x, shape: getattr(x, name)(*shape) if shape else getattr(x, name)(shape)


def joined(name):
    """cat / stack of the operands: a tuple and a list."""
    return (lambda L, *xs, **kw: getattr(L, name)(xs, **kw), lambda L, *xs, **kw: getattr(L, name)(list(xs), **kw))


RESHAPES = [S((3, 4), args=((4, 3),)), S((3, 4), args=((-1,),)), S(T, args=((2, 6),)), S(T, args=((3, 4),)),
            S(STEP, args=((3, 2, 2),)), S(STEP, args=((12,),)), S(EXPANDED, args=((3, 2, 2),)),
            S(EXPANDED, args=((12,),)), S((2, 3, 4), args=((6, -1),)), S((), args=((1, 1),)), S((1,), args=((),)),
            S((0, 3), args=((3, 0),)), S((0, 3), args=((-1,),)), S((3, 4), args=((5, -1),)),
            S((3, 4), args=((-1, -1),))]

OPS = [
    shape_op("reshape", RESHAPES, (function("reshape"), method("reshape"), varargs("reshape"))),
    shape_op("view", RESHAPES, (method("view"), varargs("view"))),
    shape_op("transpose", [S((3, 4), args=(0, 1)), S((2, 3, 4), args=(-1, 0)), S(T, args=(1, 0)),
                           S(EXPANDED, args=(0, 1)), S((2, 3, 4), args=(1, 1)), S((), args=(0, -1)),
                           S((0, 3), args=(0, 1)), S((3, 4), args=(0, 2))],
             (function("transpose"), method("transpose"), function("swapaxes"), method("swapdims"))),
    shape_op("permute", [S((2, 3, 4), args=((2, 0, 1),)), S((2, 3, 4), args=((-1, 0, 1),)), S(T, args=((1, 0),)),
                         S((), args=((),)), S((0, 3, 2), args=((2, 0, 1),)), S((2, 3, 4), args=((0, 1),)),
                         S((2, 3, 4), args=((0, 1, 1),))],
             (function("permute"), method("permute"), varargs("permute"))),
    shape_op("t", [S((3, 4)), S((4,)), S(()), S(T), S((0, 3)), S((2, 3, 4))],
             (function("t"), method("t"), lambda L, x: x.T if x.dim() == 2 else L.t(x))),
    shape_op("flatten", [S((2, 3, 4)), S((2, 3, 4), args=(1,)), S((2, 3, 4), args=(0, 1)), S((2, 3, 4), args=(-2, -1)),
                         S(T), S(STEP, args=(0, 1)), S(()), S((0, 3)), S((3,), args=(0, 0)),
                         S((2, 3, 4), args=(2, 1))]),
    shape_op("squeeze", [S((1, 3, 1, 4)), S((1, 3, 1, 4), args=(2,)), S((1, 3, 1, 4), args=(-4,)),
                         S((1, 3, 1, 4), args=(1,)), S((1, 3, 1, 4), args=((0, 2),)), S((1,)), S(()),
                         S((), args=(0,)), S((0, 1), args=(1,)), S((0, 1)), S(((4, 1), "t")),
                         S((1, 3), args=(2,))]),
    shape_op("unsqueeze", [S((3, 4), args=(0,)), S((3, 4), args=(-1,)), S((3, 4), args=(1,)), S(T, args=(2,)),
                           S((), args=(0,)), S((), args=(-1,)), S((0, 3), args=(1,)), S((3, 4), args=(3,))]),
    shape_op("expand", [S((3, 1), args=((3, 4),)), S((1, 4), args=((2, 3, 4),)), S((3, 1), args=((-1, 5),)),
                        S((), args=((2, 3),)), S(((1, 3), "t"), args=((3, 2),)), S((3, 1), args=((0, 3, 1),)),
                        S((0, 1), args=((0, 2),)), S((3, 2), args=((3, 4),)), S((3, 1), args=((4,),))],
             (method("expand"), varargs("expand"), lambda L, x, shape: x.expand_as(L.zeros(shape)))),
    shape_op("broadcast_to", [S((3, 1), args=((3, 4),)), S((4,), args=((2, 3, 4),)), S((), args=((2,),)),
                              S(T, args=((2, 3, 4),)), S((3, 1), args=((-1, 0),)), S((3, 2), args=((3, 4),))]),
    shape_op("flip", [S((3, 4), args=((0,),)), S((3, 4), args=((0, 1),)), S((2, 3, 4), args=([-1, 0],)),
                      S(T, args=((1,),)), S(EXPANDED, args=((0,),)), S((), args=((0,),)), S((3, 4), args=((),)),
                      S((0, 3), args=((1,),)), S((3, 4), args=((0, 0),)), S((3, 4), args=((2,),))]),
    shape_op("roll", [S((3, 4), args=(1, 0)), S((3, 4), args=(-5, 1)), S((3, 4), args=(2,)),
                      S((2, 3, 4), args=((1, -2), (0, 2))), S(T, args=(3, -1)), S(EXPANDED, args=(1, 0)),
                      S((), args=(1,)), S((0, 3), args=(1, 1)), S((3, 4), args=((1, 2), (0,)))]),
    *(shape_op(name, [S((3, 4)), S((3, 4), args=(1,)), S((3, 4), args=(-1,)), S((4, 3), args=(-2,)),
                      S((2, 3, 4), args=(1,)), S(T), S(EXPANDED), S((3, 4), args=(9,)), S((0, 3)), S((4,))])
      for name in ("tril", "triu")),
    shape_op("diag", [S((4,)), S((4,), args=(1,)), S((4,), args=(-2,)), S((3, 4)), S((3, 4), args=(1,)),
                      S((3, 4), args=(-2,)), S(T, args=(-1,)), S((3, 4), args=(5,)), S((0,)), S((0, 3)),
                      S(()), S((2, 3, 4))]),
    shape_op("repeat", [S((3, 4), args=((2, 1),)), S((3, 4), args=((1, 2, 3),)), S(T, args=((2, 2),)),
                        S(EXPANDED, args=((1, 2),)), S((), args=((3,),)), S((3, 4), args=((0, 2),)),
                        S((0, 3), args=((2, 2),)), S((3, 4), args=((2,),))],
             (method("repeat"), varargs("repeat"))),
    shape_op("repeat_interleave", [S((3, 4), args=(2,)), S((3, 4), args=(2, 0)), S(T, args=(3, -1)),
                                   S((3, 4), args=(Const(np.array([1, 0, 2])), 0)),
                                   S((3, 4), args=(Const(np.array([2, 1, 0, 3])), 1)),
                                   S((), args=(2,)), S((0, 3), args=(2, 0)), S((3, 4), args=(0, 1))]),
    shape_op("cat", [S((3, 4), (2, 4)), S((3, 4), (3, 2), (3, 1), kwargs=dict(dim=1)),
                     S((3, 4), T, EXPANDED, kwargs=dict(dim=-2)), S((2, 3, 4), (2, 1, 4), kwargs=dict(dim=1)),
                     S((3, 4), (0, 4)), S((3, 4), (0,)), S((3,)), S((0, 3), (0, 3), kwargs=dict(dim=1)),
                     S((3, 4), (3, 5)), S((), ())],
             joined("cat")),
    shape_op("stack", [S((3, 4), (3, 4)), S((3, 4), T, EXPANDED, kwargs=dict(dim=1)),
                       S((3, 4), (3, 4), kwargs=dict(dim=-1)), S((), (), ()), S((0, 3), (0, 3), kwargs=dict(dim=2)), S((3, 4), (4, 3)),
                       S((3, 4), (3, 4), kwargs=dict(dim=3))],
             joined("stack")),
    shape_op("split", [S((5, 4), args=(2,)), S((5, 4), args=(3, 1)), S((5, 4), args=([1, 4],)),
                       S((5, 4), args=([1, 0, 3], -1)), S(T, args=(2, 1)), S((0, 3), args=(2,)),
                       S((5, 4), args=([1, 2],)), S((), args=(1,))]),
    shape_op("chunk", [S((5, 4), args=(2,)), S((5, 4), args=(3, 1)), S((5, 4), args=(9,)), S(T, args=(2, -1)),
                       S((0, 3), args=(2,)), S((5, 4), args=(0,)), S((), args=(1,))]),
    shape_op("unbind", [S((3, 4)), S((3, 4), args=(1,)), S((2, 3, 4), args=(-1,)), S(T), S((0, 3), args=(1,)),
                        S((0, 3)), S((), args=(0,))]),
    shape_op("narrow", [S((3, 4), args=(0, 1, 2)), S((3, 4), args=(1, -3, 2)), S(T, args=(1, 0, 4)),
                        S((3, 4), args=(0, 3, 0)), S((3, 4), args=(0, 2, 2)), S((2, 3, 4), args=(-1, 1, 2))]),
    shape_op("select", [S((3, 4), args=(0, 1)), S((3, 4), args=(1, -1)), S(T, args=(0, 2)),
                        S((2, 3, 4), args=(-2, 0)), S((3, 4), args=(0, 3)), S((), args=(0, 0)),
                        S((0, 3), args=(1, 2))]),
]
