"""out= on the ember.* functions (python/ember/_out.py, Note [out= arguments] in csrc/ops/out.cpp),
each case run on ember and on torch: the value written, the object returned, out's dtype, shape,
strides and version, the resize warning, and the error (type and message) where torch refuses."""
import re
import warnings

import numpy as np
import pytest

import ember
from conftest import assert_close, error_of, torch


def _data(m):
    """The inputs every case draws from, built alike in both libraries."""
    f = m.tensor([[3.0, -1.5, 2.0], [0.5, 5.0, -4.0]])
    return dict(f=f, i=m.tensor([[1, -2, 3], [4, 5, -6]]), b=f > 1, v=m.tensor([0.5, 1.5, 2.5]),
                m=m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), idx=m.tensor([1, 0]))


def _empty(m, dtype, shape=(0,)):
    return m.empty(*shape, dtype=getattr(m, str(dtype).split(".")[-1]))


# name -> (call(m, d, out), out dtype): the call passes out= to one ember.* / torch.* function.
CASES = {
    # elementwise, castable results (TensorIterator)
    "add": (lambda m, d, o: m.add(d["f"], d["v"], out=o), "float32"),
    "add alpha": (lambda m, d, o: m.add(d["f"], d["v"], alpha=2, out=o), "float32"),
    "add scalar": (lambda m, d, o: m.add(d["f"], 2.5, out=o), "float32"),
    "add int into float64": (lambda m, d, o: m.add(d["i"], 2, out=o), "float64"),
    "add float32 into float64": (lambda m, d, o: m.mul(d["f"], 0.1, out=o), "float64"),
    "add bool into int64": (lambda m, d, o: m.add(d["b"], d["b"], out=o), "int64"),
    "sub": (lambda m, d, o: m.sub(d["f"], d["v"], out=o), "float32"),
    "mul": (lambda m, d, o: m.mul(d["f"], d["f"], out=o), "float32"),
    "div": (lambda m, d, o: m.div(d["f"], d["v"], out=o), "float32"),
    "div ints": (lambda m, d, o: m.div(d["i"], 2, out=o), "float32"),
    "pow": (lambda m, d, o: m.pow(d["f"], 2, out=o), "float32"),
    "maximum": (lambda m, d, o: m.maximum(d["f"], d["v"], out=o), "float32"),
    "atan2": (lambda m, d, o: m.atan2(d["f"], d["v"], out=o), "float32"),
    "remainder ints": (lambda m, d, o: m.remainder(d["i"], 3, out=o), "int64"),
    "logical_and into float": (lambda m, d, o: m.logical_and(d["b"], d["f"], out=o), "float32"),
    "exp": (lambda m, d, o: m.exp(d["f"], out=o), "float32"),
    "exp int into float64": (lambda m, d, o: m.exp(d["i"], out=o), "float64"),
    "log": (lambda m, d, o: m.log(d["v"], out=o), "float32"),
    "sqrt": (lambda m, d, o: m.sqrt(d["v"], out=o), "float32"),
    "sigmoid": (lambda m, d, o: m.sigmoid(d["f"], out=o), "float32"),
    "tanh": (lambda m, d, o: m.tanh(d["f"], out=o), "float64"),
    "logical_not into int": (lambda m, d, o: m.logical_not(d["f"], out=o), "int64"),
    "lerp": (lambda m, d, o: m.lerp(d["f"], d["v"], 0.5, out=o), "float32"),
    "addcmul": (lambda m, d, o: m.addcmul(d["f"], d["f"], d["v"], value=2, out=o), "float32"),
    # elementwise ops that never promote: out must be the input's dtype
    "abs": (lambda m, d, o: m.abs(d["f"], out=o), "float32"),
    "abs int": (lambda m, d, o: m.abs(d["i"], out=o), "int64"),
    "neg": (lambda m, d, o: m.neg(d["f"], out=o), "float32"),
    "floor": (lambda m, d, o: m.floor(d["f"], out=o), "float32"),
    "round decimals": (lambda m, d, o: m.round(d["f"], decimals=1, out=o), "float32"),
    "clamp": (lambda m, d, o: m.clamp(d["f"], -1, 1, out=o), "float32"),
    "clamp int with float bound": (lambda m, d, o: m.clamp(d["i"], min=0.5, out=o), "float32"),
    "clip": (lambda m, d, o: m.clip(d["f"], max=1, out=o), "float32"),
    "clamp_min": (lambda m, d, o: m.clamp_min(d["f"], 0, out=o), "float32"),
    "nan_to_num": (lambda m, d, o: m.nan_to_num(d["f"], out=o), "float32"),
    "signbit": (lambda m, d, o: m.signbit(d["f"], out=o), "bool"),
    "where": (lambda m, d, o: m.where(d["b"], d["f"], d["v"], out=o), "float32"),
    # matrix products, joins, reductions, scans
    "matmul": (lambda m, d, o: m.matmul(d["f"], d["m"], out=o), "float32"),
    "matmul vector": (lambda m, d, o: m.matmul(d["f"], d["v"], out=o), "float32"),
    "mm": (lambda m, d, o: m.mm(d["f"], d["m"], out=o), "float32"),
    "bmm": (lambda m, d, o: m.bmm(d["f"][None], d["m"][None], out=o), "float32"),
    "cat": (lambda m, d, o: m.cat([d["f"], d["f"]], 1, out=o), "float32"),
    "cat ints into float": (lambda m, d, o: m.cat([d["i"], d["i"]], out=o), "float32"),
    "cat into float64": (lambda m, d, o: m.cat([d["f"]], out=o), "float64"),
    "stack": (lambda m, d, o: m.stack([d["v"], d["v"]], out=o), "float32"),
    "sum dim": (lambda m, d, o: m.sum(d["f"], 1, out=o), "float32"),
    "sum keepdim": (lambda m, d, o: m.sum(d["f"], 0, keepdim=True, out=o), "float32"),
    "sum dims": (lambda m, d, o: m.sum(d["f"], (0, 1), out=o), "float32"),
    "sum ints into float": (lambda m, d, o: m.sum(d["i"], 1, out=o), "float32"),
    "sum floats into int64": (lambda m, d, o: m.sum(d["f"], 1, out=o), "int64"),
    "sum float32 adds in float64": (lambda m, d, o: m.sum(d["f"] * 0.1, 1, out=o), "float64"),
    "mean dim": (lambda m, d, o: m.mean(d["f"], 1, out=o), "float32"),
    "mean into float64": (lambda m, d, o: m.mean(d["f"] * 0.1, 0, out=o), "float64"),
    "mean all": (lambda m, d, o: m.mean(d["f"], out=o), "float32"),
    "prod dim": (lambda m, d, o: m.prod(d["f"], 1, out=o), "float32"),
    "amax": (lambda m, d, o: m.amax(d["f"], 1, out=o), "float32"),
    "argmax": (lambda m, d, o: m.argmax(d["f"], 1, out=o), "int64"),
    "std": (lambda m, d, o: m.std(d["f"], 1, out=o), "float32"),
    "max all": (lambda m, d, o: m.max(d["f"], out=o), "float32"),
    "max elementwise": (lambda m, d, o: m.max(d["f"], d["v"], out=o), "float32"),
    "cumsum": (lambda m, d, o: m.cumsum(d["f"], 1, out=o), "float32"),
    "cumsum ints into float": (lambda m, d, o: m.cumsum(d["i"], 1, out=o), "float32"),
    "cumsum floats into int64": (lambda m, d, o: m.cumsum(d["f"], 0, out=o), "int64"),
    "cumsum into float64": (lambda m, d, o: m.cumsum(d["v"] * 0.1, 0, out=o), "float64"),
    "cumprod": (lambda m, d, o: m.cumprod(d["f"], 1, out=o), "float32"),
    "index_select": (lambda m, d, o: m.index_select(d["f"], 1, d["idx"], out=o), "float32"),
    "dot": (lambda m, d, o: m.dot(d["v"], d["v"], out=o), "float32"),
    "outer into float64": (lambda m, d, o: m.outer(d["v"], d["v"], out=o), "float64"),
    "mv": (lambda m, d, o: m.mv(d["f"], d["v"], out=o), "float32"),
    "addmm": (lambda m, d, o: m.addmm(d["v"][:2], d["f"], d["m"], out=o), "float32"),
    "tril": (lambda m, d, o: m.tril(d["f"], out=o), "float32"),
    "logsumexp": (lambda m, d, o: m.logsumexp(d["f"], 1, out=o), "float32"),
    "masked_select": (lambda m, d, o: m.masked_select(d["f"], d["b"], out=o), "float32"),
    "tensordot": (lambda m, d, o: m.tensordot(d["f"], d["m"], 1, out=o), "float32"),
    "gather": (lambda m, d, o: m.gather(d["f"], 1, d["idx"].view(2, 1), out=o), "float32"),
    # factories: out gives the dtype and device
    "zeros": (lambda m, d, o: m.zeros(2, 3, out=o), "float32"),
    "zeros int64": (lambda m, d, o: m.zeros(2, out=o), "int64"),
    "ones float64": (lambda m, d, o: m.ones((2,), out=o), "float64"),
    "full": (lambda m, d, o: m.full((2,), 1.5, out=o), "float32"),
    "full into int64": (lambda m, d, o: m.full((2,), 1.5, out=o), "int64"),
    "arange": (lambda m, d, o: m.arange(5, out=o), "float32"),
    "arange float64": (lambda m, d, o: m.arange(0, 1, 0.25, out=o), "float64"),
    "linspace": (lambda m, d, o: m.linspace(0, 1, 5, out=o), "float64"),
    "linspace into int64": (lambda m, d, o: m.linspace(0, 1, 3, out=o), "int64"),
    "eye int64": (lambda m, d, o: m.eye(2, out=o), "int64"),
}


def _run(m, name, out_shape=(0,)):
    call, dtype = CASES[name]
    out = _empty(m, dtype, out_shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = call(m, _data(m), out)
    return out, r, [w for w in caught if "resized" in str(w.message)]


@pytest.mark.parametrize("name", list(CASES))
def test_out_matches_torch(name):
    eo, er, ew = _run(ember, name)
    to, tr, tw = _run(torch, name)
    assert er is eo and tr is to
    # A float64 out of a float32 computation holds float32 values: compared at float32's tolerance.
    assert_close(eo, to, dtype=ember.float32 if eo.dtype == ember.float64 else None)
    assert eo.is_contiguous()
    assert not ew and not tw  # an empty out is resized without a word


def test_out_of_the_right_shape_is_written_in_place_through_its_strides():
    for m in (ember, torch):
        d = _data(m)
        out = m.zeros(3, 2).t()  # (2, 3), not contiguous
        data_ptr = out.numpy().__array_interface__["data"][0]
        before = out._version
        assert m.add(d["f"], d["v"], out=out) is out
        assert out.stride() == (1, 2) and out._version == before + 1
        assert out.numpy().__array_interface__["data"][0] == data_ptr
        assert out.tolist() == (d["f"] + d["v"]).tolist()


def test_out_with_elements_of_another_shape_is_resized_with_torchs_warning():
    for shape in [(3,), (1, 6), (2, 3, 1)]:
        eo, _, ew = _run(ember, "add", shape)
        to, _, tw = _run(torch, "add", shape)
        assert_close(eo, to)
        assert len(ew) == len(tw) == 1 and ew[0].category is tw[0].category is UserWarning
        expect = re.sub(r" \(Triggered internally.*", "", str(tw[0].message)).replace("PyTorch release", "release")
        assert str(ew[0].message) == expect


def test_resize_keeps_the_out_object_and_grows_its_storage():
    out = ember.zeros(1)
    keep = out
    with pytest.warns(UserWarning, match="was resized since it had shape"):
        ember.mm(ember.ones(40, 30), ember.ones(30, 50), out=out)
    assert out is keep and out.shape == (40, 50) and out.is_contiguous()
    assert bool((out == 30).all())


def test_out_can_be_an_input():
    a, b = ember.tensor([1.0, 2.0]), ember.tensor([[1.0], [2.0]])
    assert ember.add(a, a, out=a) is a and a.tolist() == [2.0, 4.0]
    x = ember.arange(6.0)
    ember.exp(x[2:4], out=x[2:4])  # the same memory exactly: allowed, as in PyTorch
    ember.add(x[:3], x[3:], out=x[:3])
    assert x.tolist() == pytest.approx([np.exp(3.0), 5.0, np.exp(2.0) + 5.0, np.exp(3.0), 4.0, 5.0])
    with pytest.warns(UserWarning):
        ember.add(a, b, out=a)  # broadcast to (2, 2): a, an input, is resized after the result is made
    assert a.tolist() == [[3.0, 5.0], [4.0, 6.0]]


@pytest.mark.parametrize("name, out_dtype, types", [
    ("max", ("float32", "int64"), None), ("min", ("float32", "int64"), None),
    ("sort", ("float32", "int64"), None), ("topk", ("float32", "int64"), None),
    ("kthvalue", ("float32", "int64"), None), ("median", ("float32", "int64"), None),
])
def test_pair_results_fill_both_outs(name, out_dtype, types):
    calls = {"max": lambda m, x, o: m.max(x, 1, keepdim=True, out=o), "min": lambda m, x, o: m.min(x, 0, out=o),
             "sort": lambda m, x, o: m.sort(x, 1, descending=True, out=o), "topk": lambda m, x, o: m.topk(x, 2, out=o),
             "kthvalue": lambda m, x, o: m.kthvalue(x, 2, 1, out=o), "median": lambda m, x, o: m.median(x, 1, out=o)}
    res = {}
    for m in (ember, torch):
        x = _data(m)["f"]
        outs = (_empty(m, out_dtype[0]), _empty(m, out_dtype[1]))
        r = calls[name](m, x, list(outs) if m is ember else outs)  # a list is taken too
        assert r[0] is outs[0] and r[1] is outs[1]
        assert r.values is outs[0] and r.indices is outs[1]
        res[m] = outs
    for e, t in zip(res[ember], res[torch]):
        assert_close(e, t)


# Calls torch refuses, with the message torch gives (ember's must equal it).
ERRORS = {
    "float result into int64": lambda m, d: m.add(d["f"], 1, out=_empty(m, "int64")),
    "int result into bool": lambda m, d: m.add(d["i"], 1, out=_empty(m, "bool")),
    "sqrt of ints into int64": lambda m, d: m.sqrt(d["i"], out=_empty(m, "int64")),
    "true division into int64": lambda m, d: m.div(d["i"], 2, out=_empty(m, "int64")),
    "abs into float64": lambda m, d: m.abs(d["f"], out=_empty(m, "float64")),
    "abs of ints into float32": lambda m, d: m.abs(d["i"], out=_empty(m, "float32")),
    "clamp into float64": lambda m, d: m.clamp(d["f"], 0, 1, out=_empty(m, "float64")),
    "isposinf into float": lambda m, d: m.isposinf(d["f"], out=_empty(m, "float32")),
    "where into float64": lambda m, d: m.where(d["b"], d["f"], d["f"], out=_empty(m, "float64")),
    "matmul into float64": lambda m, d: m.matmul(d["f"], d["m"], out=_empty(m, "float64")),
    "mm of ints into float": lambda m, d: m.mm(d["i"], d["i"].t(), out=_empty(m, "float32")),
    "bmm into int64": lambda m, d: m.bmm(d["f"][None], d["m"][None], out=_empty(m, "int64")),
    "cat into int64": lambda m, d: m.cat([d["f"]], out=_empty(m, "int64")),
    "stack into int64": lambda m, d: m.stack([d["f"]], out=_empty(m, "int64")),
    "sum dtype= disagrees with out": lambda m, d: m.sum(d["f"], 0, dtype=m.float64, out=_empty(m, "float32")),
    "cumsum dtype= disagrees with out": lambda m, d: m.cumsum(d["f"], 0, dtype=m.float64, out=_empty(m, "float32")),
    "mean of ints into float": lambda m, d: m.mean(d["i"], 0, out=_empty(m, "float32")),
    "mean into int64": lambda m, d: m.mean(d["f"], 0, out=_empty(m, "int64")),
    "amax into float64": lambda m, d: m.amax(d["f"], 0, out=_empty(m, "float64")),
    "argmax into float": lambda m, d: m.argmax(d["f"], 0, out=_empty(m, "float32")),
    "max dim indices into float": lambda m, d: m.max(d["f"], 1, out=(_empty(m, "float32"), _empty(m, "float32"))),
    "max dim values into float64": lambda m, d: m.max(d["f"], 1, out=(_empty(m, "float64"), _empty(m, "int64"))),
    "sort indices into float": lambda m, d: m.sort(d["f"], out=(_empty(m, "float32"), _empty(m, "float32"))),
    "topk values into int64": lambda m, d: m.topk(d["f"], 2, out=(_empty(m, "int64"), _empty(m, "int64"))),
    "max dim with three outs": lambda m, d: m.max(d["f"], 1, out=(_empty(m, "float32"), _empty(m, "int64"),
                                                                   _empty(m, "float32"))),
    "index_select into float64": lambda m, d: m.index_select(d["f"], 0, d["idx"], out=_empty(m, "float64")),
    "nan_to_num into float64": lambda m, d: m.nan_to_num(d["f"], out=_empty(m, "float64")),
    "dot into float64": lambda m, d: m.dot(d["v"], d["v"], out=_empty(m, "float64")),
    "tensordot into float64": lambda m, d: m.tensordot(d["f"], d["m"], 1, out=_empty(m, "float64")),
    "masked_select into float64": lambda m, d: m.masked_select(d["f"], d["b"], out=_empty(m, "float64")),
    "logsumexp into int64": lambda m, d: m.logsumexp(d["f"], 1, out=_empty(m, "int64")),
    "tril into int64": lambda m, d: m.tril(d["f"], out=_empty(m, "int64")),
    "zeros dtype= disagrees with out": lambda m, d: m.zeros(2, dtype=m.float64, out=_empty(m, "float32")),
    "arange dtype= disagrees with out": lambda m, d: m.arange(5, dtype=m.float64, out=_empty(m, "float32")),
    "an expanded out": lambda m, d: m.add(d["v"], 1, out=m.zeros(1).expand(3)),
    "add reading part of out": lambda m, d: (lambda x: m.add(x[:3], 1, out=x[1:]))(m.arange(4.0)),
    "exp reading part of out": lambda m, d: (lambda x: m.exp(x[:4], out=x[2:6]))(m.arange(8.0)),
    "cat reading part of out": lambda m, d: (lambda x: m.cat([x[:2]], out=x[1:3]))(m.arange(8.0)),
    "where reading part of out": lambda m, d: (lambda x: m.where(x[:2] > 0, x[:2], x[2:4], out=x[1:3]))(m.arange(8.0)),
    "index_select reading part of out": lambda m, d: (lambda x: m.index_select(x, 0, m.tensor([0, 1]), out=x[1:3]))(
        m.arange(8.0)),
    "sort reading part of out": lambda m, d: (lambda x: m.sort(x[:3], out=(x[1:4], _empty(m, "int64"))))(
        m.arange(8.0)),
    "add input requires grad": lambda m, d: m.add(d["f"].requires_grad_(), 1, out=_empty(m, "float32")),
    "add out requires grad": lambda m, d: m.add(d["f"], 1, out=m.zeros(2, 3, requires_grad=True)),
    "exp input requires grad": lambda m, d: m.exp(d["f"].requires_grad_(), out=_empty(m, "float32")),
    "clip input requires grad": lambda m, d: m.clip(d["f"].requires_grad_(), 0, 1, out=_empty(m, "float32")),
    "matmul input requires grad": lambda m, d: m.matmul(d["f"], d["m"].requires_grad_(), out=_empty(m, "float32")),
    "cat input requires grad": lambda m, d: m.cat([d["f"].requires_grad_()], out=_empty(m, "float32")),
    "stack input requires grad": lambda m, d: m.stack([d["f"].requires_grad_()], out=_empty(m, "float32")),
    "sum input requires grad": lambda m, d: m.sum(d["f"].requires_grad_(), 0, out=_empty(m, "float32")),
    "mean input requires grad": lambda m, d: m.mean(d["f"].requires_grad_(), 0, out=_empty(m, "float32")),
    "cumsum input requires grad": lambda m, d: m.cumsum(d["f"].requires_grad_(), 0, out=_empty(m, "float32")),
    "where input requires grad": lambda m, d: m.where(d["b"], d["f"].requires_grad_(), d["f"], out=_empty(m, "float32")),
    "max input requires grad": lambda m, d: m.max(d["f"].requires_grad_(), 1, out=(_empty(m, "float32"),
                                                                                   _empty(m, "int64"))),
    "sort input requires grad": lambda m, d: m.sort(d["f"].requires_grad_(), out=(_empty(m, "float32"),
                                                                                 _empty(m, "int64"))),
}


# Where ember's own message for the op (raised before out= is looked at) words it differently.
ERROR_TEXT = {"mean of ints into float": "could not infer output dtype. Input dtype must be either a floating point"}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        te, tm = error_of(lambda: ERRORS[name](torch, _data(torch)))
        ee, em = error_of(lambda: ERRORS[name](ember, _data(ember)))
    assert te is not None, "torch accepted it"
    assert ee is te, f"ember raised {ee} ({em}), torch {te} ({tm})"
    tm = ERROR_TEXT.get(name, tm.replace("torch.", "ember."))
    assert tm in em, f"ember said {em!r}, torch {tm!r}"


def test_a_refused_call_leaves_out_untouched():
    out = ember.zeros(2)
    with pytest.raises(RuntimeError):
        ember.add(ember.ones(3, requires_grad=True), 1, out=out)
    with pytest.raises(RuntimeError):
        ember.add(ember.ones(3), 1.5, out=ember.zeros(2, dtype=ember.int64))
    assert out.shape == (2,) and out._version == 0


def test_under_no_grad_out_works_with_tensors_that_require_grad():
    a = ember.ones(2, requires_grad=True)
    out = ember.zeros(3, requires_grad=True)
    with ember.no_grad(), pytest.warns(UserWarning, match="was resized"):
        r = ember.add(a, a, out=out)
    assert r is out and out.tolist() == [2.0, 2.0] and out.requires_grad and out.grad_fn is None
    with torch.no_grad():
        tr = torch.add(torch.ones(2, requires_grad=True), 1, out=torch.zeros(0, requires_grad=True))
    assert tr.requires_grad


def test_factory_requires_grad_applies_to_out():
    for m in (ember, torch):
        out = m.empty(0)
        assert m.zeros(2, out=out, requires_grad=True) is out and out.requires_grad


def test_out_argument_types():
    x = ember.ones(2)
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not tuple"):
        ember.add(x, x, out=(ember.empty(0),))
    with pytest.raises(TypeError, match="argument 'out' must be a tuple of 2 Tensors, not Tensor"):
        ember.max(x, 0, out=ember.empty(0))
    with pytest.raises(TypeError, match="argument 'out' must be Tensor or a tuple of Tensors, not int"):
        ember.add(x, x, out=3)
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not tuple"):
        torch.add(torch.ones(2), 1, out=(torch.empty(0),))
    with pytest.raises(TypeError):
        ember.relu(x, out=ember.empty(0))  # torch.relu has no out= either
    with pytest.raises(TypeError):
        torch.relu(torch.ones(2), out=torch.empty(0))


def test_out_none_is_the_plain_call_and_the_functions_keep_their_names():
    x = ember.tensor([1.0, 4.0])
    assert ember.sqrt(x, out=None).tolist() == [1.0, 2.0]
    assert ember.add.__name__ == "add" and ember.cat.__name__ == "cat" and ember.zeros.__name__ == "zeros"
    assert ember.add.__wrapped__ is ember._C.add


def test_a_float64_out_sums_in_float64():
    """As torch: the reductions and scans take the dtype to accumulate in from out."""
    x = [0.1] * 10
    e = ember.sum(ember.tensor(x), 0, out=ember.empty((), dtype=ember.float64)).item()
    t = torch.sum(torch.tensor(x), 0, out=torch.empty((), dtype=torch.float64)).item()
    assert e == t == pytest.approx(1.0000000149011612, abs=0)
