"""Tensor.resize_ and resize_as_ (Note [Resizing a tensor] in csrc/core/tensor.cpp), against torch:
sizes, strides, versions, storage growth seen by views and the base, and the refusals."""
import numpy as np
import pytest

import ember
from conftest import error_of, torch


def _resize_story(m):
    """What a script can observe of resize_: (what it checks, the value) in order."""
    seen = []
    y = m.zeros(4)
    v = y[1:3]
    v.resize_(5)  # needs more memory than y's storage has: the storage grows, y shares it still
    v.fill_(7.0)
    seen += [("view grown", tuple(v.shape), v.stride(), y.tolist())]
    z = m.arange(6.0)
    seen += [("version", z._version, z.resize_(2, 3)._version, z.resize_(2, 3)._version, z.tolist())]
    t = m.arange(6.0).reshape(2, 3).t()
    seen += [("same sizes keep strides", t.resize_(3, 2).stride(), t.resize_(2, 3).stride())]
    big = m.arange(10.0)
    big.resize_(2)
    seen += [("shrink then grow keeps the data", big.tolist(), big.resize_(10).tolist())]
    e = m.empty(0)
    seen += [("forms", tuple(e.resize_(3).shape), tuple(e.resize_((3, 1)).shape), tuple(e.resize_([2]).shape),
              tuple(e.resize_as_(m.zeros(2, 2)).shape), e.is_contiguous())]
    i = m.tensor([1, 2, 3])
    i.resize_(2, 2)
    seen += [("tensor() memory is resizable", i[0].tolist())]
    ex = m.zeros(2, 2).expand(3, 2, 2)
    seen += [("expanded, same sizes", ex.resize_(3, 2, 2).stride())]
    return seen


def test_resize_matches_torch():
    assert _resize_story(ember) == _resize_story(torch)


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(2, requires_grad=True).resize_(3),
    lambda m: m.from_numpy(np.zeros(2, np.float32)).resize_(5),
    lambda m: m.zeros(2).resize_(),
    lambda m: m.zeros(2).resize_(2.5),
])
def test_resize_errors_match_torch(call):
    te, tm = error_of(lambda: call(torch))
    ee, em = error_of(lambda: call(ember))
    assert te is not None and ee is te, (ee, em, te, tm)
    if te is RuntimeError:
        assert tm in em


def test_resize_within_a_numpy_arrays_memory_is_allowed():
    a = np.arange(4, dtype=np.float32)
    t = ember.from_numpy(a)
    t.resize_(2)
    assert t.tolist() == [0.0, 1.0]
    t.resize_(2, 2)
    t[0, 0] = 9.0
    assert a[0] == 9.0  # still the array's memory


def test_a_numpy_view_outlives_a_resize_of_its_tensor():
    t = ember.arange(3.0)
    view = t.numpy()
    t.resize_(1000)  # a new block for t; the array keeps the old one alive
    t.fill_(1.0)
    assert view.tolist() == [0.0, 1.0, 2.0]


def test_a_negative_size_is_refused():
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension -1"):
        ember.zeros(2).resize_(-1)
