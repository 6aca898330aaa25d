"""conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d and their nn layers vs PyTorch: values and
every gradient over a table of cases in float32 and float64, gradcheck/gradgradcheck in float64,
double backward, NaN in max pool, PyTorch's errors, and the layers' shapes, init ranges and reprs."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from conftest import TORCH_DTYPE, torch

TF = torch.nn.functional
FLOATS = [ember.float32, ember.float64]
# Sums of up to a few hundred products, added in another order than PyTorch's.
TOL = {ember.float32: dict(rtol=1e-4, atol=2e-5), ember.float64: dict(rtol=1e-10, atol=1e-11)}


def randn(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32 if dtype == ember.float32 else np.float64)


def close(e, t, dtype):
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} vs torch {tuple(t.shape)}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **TOL[dtype])


def run_both(fe, ft, arrays, dtype, noncontiguous=False):
    """fe(*ember leaves) and ft(*torch leaves) on the same data: the outputs and every leaf's grad
    (under one random upstream gradient) agree. noncontiguous: the first input is a transposed view."""
    le = [ember.tensor(a, requires_grad=True) for a in arrays]
    lt = [torch.tensor(a, requires_grad=True) for a in arrays]
    ie, it = list(le), list(lt)
    if noncontiguous:
        le[0] = ember.tensor(np.ascontiguousarray(np.swapaxes(arrays[0], -1, -2)), requires_grad=True)
        lt[0] = torch.tensor(np.ascontiguousarray(np.swapaxes(arrays[0], -1, -2)), requires_grad=True)
        ie[0], it[0] = le[0].transpose(-1, -2), lt[0].transpose(-1, -2)
        assert not ie[0].is_contiguous()
    oe, ot = fe(*ie), ft(*it)
    close(oe, ot, dtype)
    g = randn(tuple(ot.shape), dtype, seed=7)
    oe.backward(ember.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in zip(le, lt):
        close(a.grad, b.grad, dtype)
    return oe, ot


# ---- conv2d

CONV_CASES = [  # (input shape, weight shape, kwargs)
    ((2, 3, 8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 7), (5, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 3, 9, 10), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),
    ((1, 2, 7, 8), (3, 2, 3, 3), dict(padding="same", dilation=2)),
    ((2, 2, 6, 7), (3, 2, 4, 2), dict(padding="same")),  # even kernel: one more pad at the end
    ((2, 3, 8, 8), (4, 3, 3, 3), dict(padding="valid")),
    ((2, 4, 7, 9), (6, 2, 3, 2), dict(groups=2, stride=(2, 1), padding=1)),
    ((2, 4, 6, 6), (8, 1, 3, 3), dict(groups=4, padding=1)),  # depthwise, channel multiplier 2
    ((3, 5, 6, 5), (4, 5, 1, 1), {}),  # 1x1: no im2col
    ((2, 5, 7, 6), (4, 5, 1, 1), dict(stride=2)),
    ((1, 1, 5, 3), (2, 1, 5, 3), {}),  # the kernel covers the whole input
    ((1, 3, 5, 5), (2, 3, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((3, 8, 8), (4, 3, 3, 3), dict(padding=1)),  # unbatched
    ((0, 3, 8, 8), (4, 3, 3, 3), {}),  # empty batch
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kw", CONV_CASES)
def test_conv2d_matches_torch(xs, ws, kw, bias, dtype):
    arrays = [randn(xs, dtype), randn(ws, dtype, 1)] + ([randn(ws[0], dtype, 2)] if bias else [])
    run_both(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), arrays, dtype)


def test_conv2d_zero_input_channels_gives_zeros():
    out = F.conv2d(ember.randn(1, 0, 8, 8), ember.randn(4, 0, 3, 3))
    assert tuple(out.shape) == (1, 4, 6, 6) and not out.numpy().any()


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_conv2d_noncontiguous_input(dtype):
    kw = dict(stride=2, padding=1, groups=2)
    arrays = [randn((2, 4, 7, 9), dtype), randn((6, 2, 3, 3), dtype, 1), randn(6, dtype, 2)]
    run_both(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), arrays, dtype, noncontiguous=True)


@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, dilation=2), dict(groups=2, padding="same")])
def test_conv2d_gradcheck(kw):
    x = ember.tensor(randn((2, 2, 5, 6), ember.float64), requires_grad=True)
    w = ember.tensor(randn((2, 2 // kw.get("groups", 1), 3, 2), ember.float64, 1), requires_grad=True)
    b = ember.tensor(randn(2, ember.float64, 2), requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))
    assert ember.autograd.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))


def test_conv2d_double_backward_matches_torch():
    a = [randn((2, 2, 6, 5), ember.float64), randn((3, 2, 3, 3), ember.float64, 1)]
    le = [ember.tensor(v, requires_grad=True) for v in a]
    lt = [torch.tensor(v, requires_grad=True) for v in a]
    ge = ember.autograd.grad(F.conv2d(*le, stride=2, padding=1).pow(2).sum(), le, create_graph=True)
    gt = torch.autograd.grad(TF.conv2d(*lt, stride=2, padding=1).pow(2).sum(), lt, create_graph=True)
    (ge[0].pow(2).sum() + (ge[1] * ge[1]).sum()).backward()
    (gt[0].pow(2).sum() + (gt[1] * gt[1]).sum()).backward()
    for e, t in zip(le, lt):
        close(e.grad, t.grad, ember.float64)


# ---- pooling

MAX_CASES = [  # (input shape, kwargs)
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 9, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2))),
    ((2, 2, 7, 8), dict(kernel_size=3, stride=1)),  # overlapping windows: gradients add
    ((2, 2, 7, 6), dict(kernel_size=2, ceil_mode=True)),
    ((1, 3, 10, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((3, 5, 7), dict(kernel_size=2, stride=1, dilation=2)),  # unbatched
    ((0, 3, 4, 4), dict(kernel_size=2)),
]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("xs,kw", MAX_CASES)
def test_max_pool2d_matches_torch(xs, kw, dtype):
    run_both(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [randn(xs, dtype)], dtype)
    x = randn(xs, dtype)
    ve, ie = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
    vt, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    assert ie.dtype == ember.int64
    np.testing.assert_array_equal(ie.numpy(), it.numpy())


def test_max_pool2d_noncontiguous():
    kw = dict(kernel_size=3, stride=2, padding=1)
    run_both(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [randn((2, 3, 7, 9), ember.float32)],
             ember.float32, noncontiguous=True)


def test_max_pool2d_nan_and_ties_as_torch():
    x = np.zeros((1, 1, 4, 6))  # ties everywhere: the first index wins
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan  # two NaNs in one window: the last one is the index
    x[0, 0, 2, 2] = -np.inf
    x[0, 0, 3, 4:6] = -np.inf
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        ve, ie = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
        vt, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ve.numpy(), vt.numpy())
        np.testing.assert_array_equal(ie.numpy(), it.numpy())


AVG_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 9, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 9, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ((1, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 2, 7, 6), dict(kernel_size=2, ceil_mode=True)),  # a window hanging off the end
    ((2, 2, 6, 6), dict(kernel_size=3, stride=1, padding=1, divisor_override=4)),
    ((3, 5, 7), dict(kernel_size=2, stride=1)),  # unbatched
]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("xs,kw", AVG_CASES)
def test_avg_pool2d_matches_torch(xs, kw, dtype):
    run_both(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [randn(xs, dtype)], dtype)


ADAPTIVE_CASES = [((2, 3, 7, 9), (3, 4)), ((2, 3, 8, 8), 1), ((1, 2, 8, 8), 4), ((2, 2, 7, 9), (None, 2)),
                  ((1, 2, 4, 5), (10, 11)), ((3, 5, 7), (2, 3))]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("xs,size", ADAPTIVE_CASES)
def test_adaptive_avg_pool2d_matches_torch(xs, size, dtype):
    run_both(lambda x: F.adaptive_avg_pool2d(x, size), lambda x: TF.adaptive_avg_pool2d(x, size),
             [randn(xs, dtype)], dtype)


def test_adaptive_avg_pool2d_empty_output():
    # PyTorch allows an empty output size forward (its backward refuses one).
    x = randn((1, 2, 5, 5), ember.float32)
    assert tuple(F.adaptive_avg_pool2d(ember.tensor(x), (0, 2)).shape) == (1, 2, 0, 2)


def test_adaptive_avg_pool2d_noncontiguous():
    run_both(lambda x: F.adaptive_avg_pool2d(x, (3, 2)), lambda x: TF.adaptive_avg_pool2d(x, (3, 2)),
             [randn((2, 3, 7, 5), ember.float64)], ember.float64, noncontiguous=True)


POOL_FNS = {
    "max": lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=(1, 2)),
    "avg": lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    "avg_divisor": lambda x: F.avg_pool2d(x, 2, stride=1, divisor_override=3),
    "adaptive": lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
}


@pytest.mark.parametrize("name", POOL_FNS)
def test_pool_gradcheck(name):
    x = ember.tensor(randn((2, 2, 5, 7), ember.float64), requires_grad=True)
    assert ember.autograd.gradcheck(POOL_FNS[name], (x,))
    assert ember.autograd.gradgradcheck(POOL_FNS[name], (x,))


# ---- errors: a Python exception naming the op, never a crash

X = lambda: ember.randn(1, 3, 8, 8)  # noqa: E731
ERRORS = [
    (lambda: F.conv2d(X(), ember.randn(4, 4, 3, 3)), RuntimeError,
     "expected input[1, 3, 8, 8] to have 4 channels, but got 3 channels instead"),
    (lambda: F.conv2d(ember.randn(2, 3), ember.randn(4, 3, 3, 3)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3)), RuntimeError, "4-dimensional weight"),
    (lambda: F.conv2d(X(), ember.randn(3, 1, 3, 3), groups=2), RuntimeError, "expected weight to be divisible by 2"),
    (lambda: F.conv2d(X(), ember.randn(4, 1, 3, 3), groups=2), RuntimeError, "to have 2 channels, but got 3"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), groups=0), RuntimeError, "non-positive groups"),
    (lambda: F.conv2d(X(), ember.randn(0, 3, 3, 3)), RuntimeError, "expected weight to be at least 1 at dimension 0"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 0, 3)), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 3"),
    (lambda: F.conv2d(ember.randn(1, 3, 2, 2), ember.randn(4, 3, 3, 3)), RuntimeError,
     "Kernel size can't be greater than actual input size"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), stride=0), RuntimeError, "non-positive stride"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), padding=-1), RuntimeError, "negative padding"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), dilation=0), RuntimeError, "dilation should be greater than zero"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), padding="foo"), RuntimeError, "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), stride=(1, 1, 1)), RuntimeError, "expected stride to be"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), bias=ember.randn(3)), RuntimeError,
     "expected bias to be 1-dimensional with 4 elements"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3, dtype=ember.float64)), RuntimeError,
     "Input type (float) and weight type (double) should be the same"),
    (lambda: F.conv2d(X(), ember.randn(4, 3, 3, 3), bias=ember.randn(4, dtype=ember.float64)), RuntimeError,
     "Input type (float) and bias type (double) should be the same"),
    (lambda: F.conv2d(X().long(), ember.randn(4, 3, 3, 3).long()), NotImplementedError, "[conv2d]"),
    (lambda: F.max_pool2d(X(), 2, padding=2), RuntimeError, "pad should be at most half of effective kernel size"),
    (lambda: F.avg_pool2d(X(), 2, padding=2), RuntimeError, "pad should be at most half"),
    (lambda: F.max_pool2d(X(), 0), RuntimeError, "kernel size should be greater than zero"),
    (lambda: F.max_pool2d(X(), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.avg_pool2d(X(), 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda: F.max_pool2d(X(), 2, dilation=0), RuntimeError, "dilation should be greater than zero"),
    (lambda: F.max_pool2d(ember.randn(3, 8), 2), RuntimeError, "Expected 3D or 4D"),
    (lambda: F.max_pool2d(ember.randn(1, 0, 4, 4), 2), RuntimeError, "Expected 3D or 4D"),
    (lambda: F.max_pool2d(ember.randn(1, 3, 1, 1), 2), RuntimeError,
     "Given input size: (3x1x1). Calculated output size: (3x0x0). Output size is too small"),
    (lambda: F.avg_pool2d(X(), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.max_pool2d(X(), (2, 2, 2)), RuntimeError, "kernel_size must either be a single int"),
    (lambda: F.adaptive_avg_pool2d(X(), (-1, 2)), RuntimeError, "greater than or equal to 0"),
    (lambda: F.adaptive_avg_pool2d(ember.randn(3, 8), 2), RuntimeError, "Expected 3D or 4D tensor"),
    (lambda: F.adaptive_avg_pool2d(ember.randn(1, 3, 0, 8), 2), RuntimeError, "non-zero size"),
    (lambda: F.adaptive_avg_pool2d(X(), (2, 2, 2)), RuntimeError, "output_size must be 2"),
    (lambda: ember.nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: ember.nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: ember.nn.Conv2d(4, 4, 3, stride=2, padding="same"), ValueError, "not supported for strided"),
    (lambda: ember.nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError, "padding_mode must be one of"),
    (lambda: ember.nn.Conv2d(4, 4, 3, padding_mode="reflect"), NotImplementedError, "reflect"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value)


def test_error_messages_name_the_op():
    with pytest.raises(RuntimeError, match=r"^\[conv2d\] Given groups=1, weight of size \[4, 4, 3, 3\]"):
        F.conv2d(X(), ember.randn(4, 4, 3, 3))
    with pytest.raises(RuntimeError, match=r"^\[avg_pool2d\]"):
        F.avg_pool2d(ember.randn(1, 3, 1, 1), 2)


# ---- layers

@pytest.mark.parametrize("args,kwargs", [
    ((3, 4, 3), {}),
    ((3, 4, (3, 5)), dict(stride=2, padding=1, dilation=2, bias=False)),
    ((4, 8, 3), dict(padding="same", groups=2)),
    ((4, 4, 3), dict(padding="valid", groups=4, stride=(1, 2))),
])
def test_conv2d_layer_shapes_init_repr(args, kwargs):
    me, mt = ember.nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    assert repr(me) == repr(mt)
    assert [n for n, _ in me.named_parameters()] == [n for n, _ in mt.named_parameters()]
    for (_, pe), (_, pt) in zip(me.named_parameters(), mt.named_parameters()):
        assert tuple(pe.shape) == tuple(pt.shape) and pe.requires_grad
    fan_in = mt.weight.shape[1] * mt.weight.shape[2] * mt.weight.shape[3]
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(me.weight.detach().numpy()).max() <= bound
    assert np.abs(me.weight.detach().numpy()).max() > 0.5 * bound  # a spread, not a constant
    if me.bias is not None:
        assert np.abs(me.bias.detach().numpy()).max() <= bound
    # Same weights -> same output.
    with torch.no_grad():
        mt.weight.copy_(torch.from_numpy(me.weight.detach().numpy()))
        if mt.bias is not None:
            mt.bias.copy_(torch.from_numpy(me.bias.detach().numpy()))
    x = randn((2, args[0], 9, 8), ember.float32)
    close(me(ember.tensor(x)), mt(torch.tensor(x)), ember.float32)


@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda nn: nn.AvgPool2d(3),
    lambda nn: nn.AvgPool2d(3, 2, 1, True, False, 2),
    lambda nn: nn.AdaptiveAvgPool2d((None, 3)),
    lambda nn: nn.AdaptiveAvgPool2d(2),
])
def test_pool_layers_repr_and_forward(make):
    me, mt = make(ember.nn), make(torch.nn)
    assert repr(me) == repr(mt)
    x = randn((2, 3, 9, 8), ember.float64)
    close(me(ember.tensor(x)), mt(torch.tensor(x)), ember.float64)


def test_max_pool_layer_return_indices():
    x = randn((2, 3, 6, 6), ember.float32)
    ve, ie = ember.nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    vt, it = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    close(ve, vt, ember.float32)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
