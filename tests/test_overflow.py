"""Sizes, strides and element counts past int64 raise, never wrap (Note [Checked size arithmetic],
csrc/core/checked_arith.h). Each case is run through PyTorch too: ember raises the type PyTorch raises,
with PyTorch's phrase where PyTorch has one and the op's name in brackets."""
import pytest
import torch

import ember

BIG = 2**62


def raises_like_torch(make, torch_phrase, ember_phrase=None, op=None):
    """make(lib) raises RuntimeError under both libraries; the messages carry the phrases."""
    with pytest.raises(RuntimeError, match=torch_phrase):
        make(torch)
    with pytest.raises(RuntimeError, match=ember_phrase or torch_phrase) as info:
        make(ember)
    if op is not None:
        assert f"[{op}]" in str(info.value)
    return str(info.value)


STORAGE = "Storage size calculation overflowed"
NUMEL = "numel: integer multiplication overflow"
STRIDE = "Stride calculation overflowed"


@pytest.mark.parametrize("op, make, phrase", [
    ("ones", lambda lib: lib.ones((0, BIG, 4)), STRIDE),
    ("ones", lambda lib: lib.ones((0, BIG, BIG)), STRIDE),
    ("empty", lambda lib: lib.empty((0, BIG, 4)), STRIDE),
    ("ones", lambda lib: lib.ones((BIG, 4)), STORAGE),
    ("empty", lambda lib: lib.empty(2**40, 2**40), STORAGE),
    ("empty", lambda lib: lib.empty(2**31, 2**31), STORAGE),
    ("zeros", lambda lib: lib.zeros((2**63 - 1,)), STORAGE),
    ("zeros", lambda lib: lib.zeros((2**61,)), STORAGE),  # 2**63 bytes of float32
    ("full", lambda lib: lib.full((BIG, BIG), 1.0), STORAGE),
    ("randn", lambda lib: lib.randn(BIG, 4), STORAGE),
    ("rand", lambda lib: lib.rand(BIG, 4), STORAGE),
    ("randint", lambda lib: lib.randint(0, 5, (BIG, 4)), STORAGE),
    ("linspace", lambda lib: lib.linspace(0, 1, BIG), STORAGE),
    ("zeros", lambda lib: lib.ones(1).new_zeros(BIG, 4), STORAGE),
    ("arange", lambda lib: lib.arange(0, BIG), STORAGE),
    ("arange", lambda lib: lib.arange(0, BIG, dtype=lib.float32), STORAGE),
    ("arange", lambda lib: lib.arange(-2**63, 2**63 - 1), "invalid size, possible overflow"),
    ("arange", lambda lib: lib.arange(0, 1e30), "invalid size, possible overflow"),
    ("arange", lambda lib: lib.arange(0.0, 1.0, 1e-30), "invalid size, possible overflow"),
    ("empty", lambda lib: lib.empty(-1), "Trying to create tensor with negative dimension -1"),
    ("ones", lambda lib: lib.ones(2, -3), "Trying to create tensor with negative dimension -3"),
    ("view", lambda lib: lib.ones(4).view(2**32, 2**32), "is invalid for input of size 4"),
    ("view", lambda lib: lib.ones(4).view(2**32, 2**32, -1), "is invalid for input of size 4"),
    ("view", lambda lib: lib.ones(0).view(2**32, 2**32, 0), NUMEL),
    ("view", lambda lib: lib.ones(0).view(BIG, 4, 0), NUMEL),
    ("reshape", lambda lib: lib.ones(4).reshape(2**32, 2**32), "is invalid for input of size 4"),
    ("reshape", lambda lib: lib.ones(4).reshape(-1, BIG, BIG), "is invalid for input of size 4"),
    ("expand", lambda lib: lib.ones(1, 1).expand(2**32, 2**32), NUMEL),
    ("expand", lambda lib: lib.ones(1, 1).expand(BIG, BIG), NUMEL),
    ("as_strided", lambda lib: lib.ones(4).as_strided((2**32, 2**32), (1, 1)),
     r"requiring a storage size of 34359738364 are out of bounds for storage of size 16"),
    ("as_strided", lambda lib: lib.ones(4).as_strided((BIG,), (BIG,)), STORAGE),
    ("as_strided", lambda lib: lib.ones(4).as_strided((2,), (BIG,)), STORAGE),
    ("as_strided", lambda lib: lib.ones(4).as_strided((2,), (1,), BIG), STORAGE),
    ("as_strided", lambda lib: lib.ones(4).as_strided((2,), (-1,)), "Negative strides are not supported"),
    ("narrow", lambda lib: lib.ones(1).expand(BIG).narrow(0, BIG - 1, 2**63 - 1), "exceeds dimension size"),
])
def test_huge_sizes_raise_as_torch(op, make, phrase):
    raises_like_torch(make, phrase, op=op)


def test_messages_name_the_shapes():
    msg = raises_like_torch(lambda lib: lib.ones((BIG, 4)), STORAGE, op="ones")
    assert "4611686018427387904, 4" in msg
    msg = raises_like_torch(lambda lib: lib.ones(1, 1).expand(2**32, 2**32), NUMEL, op="expand")
    assert "(4294967296, 4294967296)" in msg


@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2).repeat(BIG),          # PyTorch: "cannot be represented as a SymInt"
    lambda lib: lib.ones(2, 2).repeat(2**32, 2**32),  # PyTorch: the storage size
])
def test_repeat_past_int64_raises(make):
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError, match=r"\[repeat\] numel: integer multiplication overflow"):
        make(ember)


def test_cat_of_huge_expanded_inputs_raises():
    # PyTorch's size sum wraps to a negative dimension; ember's is checked.
    big = [lib.ones(1).expand(BIG) for lib in (torch, ember)]
    with pytest.raises(RuntimeError):
        torch.cat([big[0], big[0]])
    with pytest.raises(RuntimeError, match=r"\[cat\] the size of dimension 0 overflowed"):
        ember.cat([big[1], big[1]])


def test_out_of_memory_is_a_runtime_error():
    # 2**60 float32 are 2**62 bytes: a size that fits, but no machine has the memory.
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        torch.zeros(2**60)
    with pytest.raises(ember.OutOfMemoryError, match="out of memory") as info:
        ember.zeros(2**60)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, MemoryError)
    assert ember.cuda.OutOfMemoryError is ember.OutOfMemoryError


def test_huge_views_without_overflow_still_work():
    for lib in (torch, ember):
        assert tuple(lib.ones(1, 1).expand(2**31, 2**31).shape) == (2**31, 2**31)
        assert tuple(lib.ones(1).expand(2**63 - 1).shape) == (2**63 - 1,)
        # Multiplied in order, as PyTorch's numel: a leading 0 keeps the product 0.
        t = lib.ones(1, 1).expand(0, BIG).expand(BIG, 0, BIG)
        assert tuple(t.shape) == (BIG, 0, BIG) and t.numel() == 0
        assert lib.zeros(BIG, 0, 4).stride() == (4, 4, 1)
        assert tuple(lib.zeros(BIG, 0, 4).flatten().shape) == (0,)
        assert tuple(lib.zeros(4)[::BIG].shape) == (1,)
        assert lib.ones(0).view(4, 0, BIG).stride() == (BIG, BIG, 1)


def test_where_torch_wraps_ember_is_exact_or_raises():
    # PyTorch 2.13 computes these in wrapping int64; ember gives the exact answer or raises.
    x = ember.ones(1).expand(2**63 - 1)
    assert [tuple(c.shape) for c in x.split(BIG)] == [(BIG,), (BIG - 1,)]  # PyTorch: one piece
    assert [tuple(c.shape) for c in ember.ones(5).chunk(2**63 - 1)] == [(1,)] * 5  # PyTorch raises
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly to 5"):
        ember.ones(5).split([2**63 - 1, 2**63 - 1, 7])  # PyTorch: pieces of 5, 0 and 2
    with pytest.raises(RuntimeError, match=r"\[unsqueeze\] Stride calculation overflowed"):
        ember.zeros(BIG, 0, 4).unsqueeze(0)  # PyTorch: stride 0
    with pytest.raises(RuntimeError, match=r"\[view\] Stride calculation overflowed"):
        ember.ones(0).view(0, BIG, BIG)  # PyTorch: strides (0, 2**62, 1)
    y = ember.zeros(4, 4)[::BIG]  # one row, so any stride will do; PyTorch's is 4 * 2**62 wrapped to 0
    assert tuple(y.shape) == (1, 4) and y.stride() == (4, 1)


def test_as_strided_matches_torch_values_and_gradients():
    def run(lib):
        out = []
        x = lib.arange(12.0).reshape(3, 4)[:, 1:].detach().requires_grad_()
        y = x.as_strided((3, 3), (1, 2), 1)  # overlapping output over a non-contiguous input
        (y * lib.arange(9.0).reshape(3, 3)).sum().backward()
        out += [y.tolist(), x.grad.tolist()]
        x = lib.ones(5, requires_grad=True)
        y = x.expand(3, 5).as_strided((2, 2), (1, 1))  # an input whose elements alias
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        out.append(x.grad.tolist())
        x = lib.arange(6.0).requires_grad_()
        y = lib.as_strided(x, (2,), (3,), 2)
        y.sum().backward()
        out += [y.tolist(), y.storage_offset(), y.stride(), x.grad.tolist()]
        return out
    assert run(ember) == run(torch)
