"""The op table's nn.functional ops: softmax/log_softmax, the losses (cross_entropy with class
and probability targets, nll_loss, mse/l1/smooth_l1/huber, binary_cross_entropy(_with_logits),
kl_div), linear, conv2d, max/avg pool2d, layer_norm, embedding, dropout in eval and at p=0,
normalize and pad. Samples: each reduction, class weights, ignore_index, label smoothing,
spatial targets, transposed and permuted inputs, 0-d and empty batches, NaN/inf logits, and
the calls PyTorch refuses (a bad target, mismatched shapes)."""
import numpy as np

from op_info import ALL, F32, I32, I64, INF, NAN, NUMERIC, Const, OpInfo, S, function, functional, given, method

T = ((4, 3), "t")
EXPANDED = ((1, 4), ("expand", (3, 4)))
NCHW_PERMUTED = ((1, 5, 5, 2), ("permute", (0, 3, 1, 2)))   # a channels-last (1, 2, 5, 5)


def idx(*values):
    return Const(np.array(values, dtype=np.int64))


def weights(*values):
    return Const(np.array(values), None)            # in the dtype under test, no gradient


TARGET = idx(1, 0, 3)
SOFTMAX = [S((3, 4), args=(1,)), S((3, 4), args=(0,)), S(T, args=(-1,)), S(EXPANDED, args=(0,)),
           S((2, 3, 4), args=(1,)), S((), args=(0,)), S((0, 3), args=(1,)), S((0, 3), args=(0,)),
           given([[INF, 1.0, 0.0], [-INF, -INF, -INF], [NAN, 1.0, 2.0], [-INF, 0.0, 1.0]], args=(1,))]
CLASS_LOSS = [S((3, 4), args=(TARGET,)), S((3, 4), args=(TARGET,), kwargs=dict(reduction="sum")),
              S(T, args=(TARGET,), kwargs=dict(reduction="none")),
              S((3, 4), args=(TARGET,), kwargs=dict(weight=weights(0.5, 2.0, 1.0, 0.25))),
              S((3, 4), args=(idx(1, -100, 3),)), S((3, 4), args=(TARGET,), kwargs=dict(ignore_index=0)),
              S((3, 4), args=(idx(1, 1, 1),), kwargs=dict(ignore_index=1)),
              S((2, 4, 3), args=(Const(np.array([[0, 3, 1], [2, 2, 0]])),)), S((4,), args=(Const(np.array(2)),)),
              S((0, 4), args=(Const(np.zeros(0, dtype=np.int64)),)),
              S((0, 4), args=(Const(np.zeros(0, dtype=np.int64)),), kwargs=dict(reduction="sum")),
              S((3, 4), args=(idx(1, 4, 0),)), S((3, 4), args=(idx(1, 0),))]
CE_ONLY = [S((3, 4), args=(TARGET,), kwargs=dict(label_smoothing=0.1)),
           S((3, 4), args=(TARGET,), kwargs=dict(label_smoothing=0.2, weight=weights(0.5, 2.0, 1.0, 0.25))),
           S((3, 4), (3, 4)), S((3, 4), T, kwargs=dict(reduction="none", label_smoothing=0.1)),
           S((2, 4, 3), (2, 4, 3), kwargs=dict(weight=weights(0.5, 2.0, 1.0, 0.25), reduction="sum")),
           given([[INF, 1.0, 0.0], [NAN, 1.0, 2.0]], args=(idx(1, 2),))]
POINTWISE_LOSS = [S((3, 4), (3, 4)), S((3, 4), (3, 4), kwargs=dict(reduction="sum")),
                  S(T, EXPANDED, kwargs=dict(reduction="none")), S((), ()), S((0, 3), (0, 3)),
                  S((0, 3), (0, 3), kwargs=dict(reduction="sum")), S((3, 4), (2, 4))]
BCE = POINTWISE_LOSS[:-1] + [S((3, 4), (3, 4), kwargs=dict(weight=weights([0.5], [2.0], [1.0])))]
LINEAR = [S((3, 4), (2, 4), (2,)), S((3, 4), (2, 4)), S((4,), (2, 4), (2,)), S((2, 3, 4), T, (3,)),
          S((0, 4), (2, 4), (2,)), S((3, 4), (2, 3))]
CONV = [S((1, 2, 4, 4), (2, 2, 3, 3), (2,)), S((2, 2, 5, 5), (1, 2, 3, 3), kwargs=dict(stride=2, padding=1)),
        S(NCHW_PERMUTED, (2, 2, 2, 2), kwargs=dict(dilation=2)),
        S((1, 2, 4, 4), (4, 1, 3, 3), (4,), kwargs=dict(groups=2)),
        S((1, 2, 4, 4), (1, 2, 3, 3), kwargs=dict(padding="same")), S((2, 4, 4), (1, 2, 3, 3)),
        S((1, 2, 4, 4), (1, 2, 3, 2), kwargs=dict(stride=(2, 1), padding=(0, 1))),
        S((1, 2, 4, 4), (1, 3, 3, 3)), S((1, 2, 2, 2), (1, 2, 3, 3))]
POOL = [S((1, 2, 4, 4), args=(2,)), S((1, 2, 5, 5), args=(3,), kwargs=dict(stride=1)),
        S((1, 2, 5, 5), args=(3, 2, 1)), S(NCHW_PERMUTED, args=(2,), kwargs=dict(ceil_mode=True)),
        S((2, 5, 4), args=((2, 3),), kwargs=dict(stride=(1, 2))), S((1, 2, 4, 4), args=(5,))]
LAYER_NORM = [S((3, 4), (4,), (4,), kwargs=dict(shape=(4,))), S((2, 3, 4), (3, 4), (3, 4), kwargs=dict(shape=(3, 4))),
              S(T, kwargs=dict(shape=(4,))), S((3, 4), (4,), (4,), kwargs=dict(shape=[4], eps=0.1)),
              S((0, 4), (4,), (4,), kwargs=dict(shape=(4,))), S((3, 4), (3,), (3,), kwargs=dict(shape=(3,)))]
EMBED_IDX = Const(np.array([[0, 4, 1], [4, 4, 2]]))
NORMALIZE = [S((3, 4)), S((3, 4), kwargs=dict(p=1.0, dim=0)), S(T, kwargs=dict(dim=-1)), S((2, 3, 4)),
             given([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]], grad=True), S((0, 3)), S((3, 4), kwargs=dict(p=3.0, eps=0.5))]
PAD = [S((3, 4), args=((1, 1),)), S((2, 3, 4), args=((1, 2, 0, 1),)),
       S(T, args=((0, 0, 2, 0),), kwargs=dict(value=2.5)), S((3, 4), args=((-1, 2),)),
       S((3, 4), args=((1, 1, 1, 1, 1, 1),)), S((0, 3), args=((1, 0),)),
       S((1, 2, 4), args=((2, 1),), kwargs=dict(mode="reflect")),
       S((1, 2, 3, 4), args=((1, 1, 2, 0),), kwargs=dict(mode="replicate")),
       S((1, 2, 4), args=((1, 2),), kwargs=dict(mode="circular")), S((3, 4), args=((1,),))]

NO_INT_KERNELS = "ember's {} kernels are floating only (NotImplementedError); torch computes integers on the CPU"


def no_int64_kernels(name):
    return tuple(("forward", dt, NO_INT_KERNELS.format(name)) for dt in (I64, I32))


OPS = [
    OpInfo("softmax", (function("softmax"), method("softmax"), functional("softmax")), samples=SOFTMAX),
    OpInfo("log_softmax", (function("log_softmax"), method("log_softmax"), functional("log_softmax")),
           samples=SOFTMAX),
    OpInfo("softmax_dtype", (lambda L, x, d: L.softmax(x, d, dtype=L.float64),
                             lambda L, x, d: L.nn.functional.log_softmax(x, d, dtype=L.float64)),
           dtypes=ALL, samples=SOFTMAX[:2]),
    OpInfo("cross_entropy", (functional("cross_entropy"),), samples=CLASS_LOSS + CE_ONLY),
    OpInfo("nll_loss", (functional("nll_loss"),), samples=CLASS_LOSS),
    OpInfo("mse_loss", (functional("mse_loss"),), samples=POINTWISE_LOSS),
    OpInfo("l1_loss", (functional("l1_loss"),), samples=POINTWISE_LOSS),
    OpInfo("smooth_l1_loss", (functional("smooth_l1_loss"), functional("smooth_l1_loss", beta=0.5)),
           samples=POINTWISE_LOSS),
    OpInfo("huber_loss", (functional("huber_loss"), functional("huber_loss", delta=2.0)), samples=POINTWISE_LOSS),
    OpInfo("binary_cross_entropy", (functional("binary_cross_entropy"),), samples=BCE,
           domain=((0.05, 0.95), (0.0, 1.0))),
    OpInfo("binary_cross_entropy_with_logits", (functional("binary_cross_entropy_with_logits"),
                                                functional("binary_cross_entropy_with_logits",
                                                           pos_weight=weights(2.0, 0.5, 1.0, 3.0))),
           samples=BCE, domain=((-3.0, 3.0), (0.0, 1.0))),
    OpInfo("kl_div", (functional("kl_div"), functional("kl_div", reduction="batchmean"),
                      functional("kl_div", log_target=True)), samples=POINTWISE_LOSS,
           domain=((-2.0, 0.5), (0.05, 1.0))),
    OpInfo("linear", (functional("linear"),), dtypes=NUMERIC, samples=LINEAR),
    OpInfo("conv2d", (functional("conv2d"), function("conv2d")), dtypes=NUMERIC, samples=CONV,
           tol={F32: dict(rtol=1e-5, atol=1e-5)}, xfails=no_int64_kernels("conv2d")),
    OpInfo("max_pool2d", (functional("max_pool2d"), function("max_pool2d"), functional("max_pool2d", dilation=1)),
           dtypes=NUMERIC, samples=POOL, xfails=no_int64_kernels("max_pool2d")),
    OpInfo("max_pool2d_indices", (functional("max_pool2d", return_indices=True),), dtypes=NUMERIC, samples=POOL,
           xfails=no_int64_kernels("max_pool2d")),
    OpInfo("avg_pool2d", (functional("avg_pool2d"), functional("avg_pool2d", count_include_pad=False),
                          functional("avg_pool2d", divisor_override=3)), dtypes=NUMERIC, samples=POOL,
           xfails=no_int64_kernels("avg_pool2d")),
    OpInfo("layer_norm", (lambda L, x, *wb, shape, **kw: L.nn.functional.layer_norm(x, shape, *wb, **kw),),
           samples=LAYER_NORM, tol={F32: dict(rtol=1e-5, atol=1e-5)}),
    OpInfo("embedding", (lambda L, w, i, **kw: L.nn.functional.embedding(i, w, **kw),
                         lambda L, w, i, **kw: L.embedding(w, i, **kw)),  # torch.embedding: weight first
           dtypes=ALL,   # the padding row takes no gradient by definition: not a derivative to check
           samples=[S((5, 3), args=(EMBED_IDX,)),
                    S((5, 3), args=(EMBED_IDX,), kwargs=dict(padding_idx=4), gradcheck=False),
                    S(T, args=(idx(2, 0, 2),)), S((5, 3), args=(Const(np.array(1)),)),
                    S((5, 3), args=(Const(np.zeros((2, 0), dtype=np.int64)),)), S((5, 3), args=(idx(5),))]),
    OpInfo("dropout_off", (lambda L, x, **kw: L.nn.functional.dropout(x, **kw),), dtypes=ALL,
           samples=[S((3, 4), kwargs=dict(training=False)), S(T, kwargs=dict(p=0.7, training=False)),
                    S((3, 4), kwargs=dict(p=0.0)), S((), kwargs=dict(p=0.0))]),
    OpInfo("normalize", (functional("normalize"),), samples=NORMALIZE),
    OpInfo("pad", (functional("pad"),), dtypes=ALL, samples=PAD),
]
