"""The offset arithmetic the index kernels share with their CUDA twins (kernels/index_offsets.h),
exercised through the CPU kernels on the shapes that take its less common paths: size-1 dims
(dropped from the loop), strided and transposed operands, several tensor indices combined into
one offset, and masks large enough to be counted in several chunks (Note [nonzero in chunks])."""
import numpy as np
import pytest

import ember
from conftest import assert_close, to_torch, torch


def rand(*shape, dtype=ember.float64, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


def idx(high, *shape, seed=1):
    return ember.tensor(np.random.default_rng(seed).integers(0, high, shape))


@pytest.mark.parametrize("shape,dim,ishape", [
    ((5, 3), 1, (5, 1)),          # nll_loss's gather: a row of length 1 per sample
    ((4, 1, 6), 2, (4, 1, 3)),    # a size-1 dim in the middle
    ((2, 3, 4), 0, (3, 3, 2)),    # index longer than src along dim, shorter elsewhere
    ((7,), 0, (1,)),
])
@pytest.mark.parametrize("transposed", [False, True])
def test_gather_and_scatter_add_offsets(shape, dim, ishape, transposed):
    src = rand(*reversed(shape)).permute(*reversed(range(len(shape)))) if transposed else rand(*shape)
    index = idx(shape[dim], *ishape)
    assert_close(ember.gather(src, dim, index), torch.gather(to_torch(src), dim, to_torch(index)))
    values = rand(*ishape, seed=3)
    assert_close(ember.scatter_add(src, dim, index, values),
                 to_torch(src).scatter_add(dim, to_torch(index), to_torch(values)))


def test_scatter_add_and_index_add_accumulate_duplicates():
    self = ember.zeros(3, 2, dtype=ember.float64)
    index = ember.tensor([[0, 0], [0, 2], [0, 2]])
    src = rand(3, 2)
    assert_close(ember.scatter_add(self, 0, index, src), torch.zeros(3, 2, dtype=torch.float64).scatter_add(
        0, to_torch(index), to_torch(src)))
    rows = ember.tensor([1, 1, 0, 1])
    src = rand(2, 4, 3, seed=4)
    assert_close(ember.zeros(2, 2, 3, dtype=ember.float64).index_add(1, rows, src),
                 torch.zeros(2, 2, 3, dtype=torch.float64).index_add(1, to_torch(rows), to_torch(src)))


@pytest.mark.parametrize("shape", [(3,), (2, 5), (5000, 3), (3, 3000, 2), (1, 9001)])
def test_nonzero_over_several_chunks(shape):
    rng = np.random.default_rng(5)
    mask = ember.tensor(rng.random(shape) < 0.3)
    assert_close(mask.nonzero(), torch.nonzero(to_torch(mask)))
    x = rand(*shape)
    assert_close(x[mask], to_torch(x)[to_torch(mask)])


def test_nonzero_of_empty_and_all_false_masks():
    for mask in [ember.zeros(0, 3, dtype=ember.bool), ember.zeros(2, 3, dtype=ember.bool)]:
        assert_close(mask.nonzero(), torch.nonzero(to_torch(mask)))


@pytest.mark.parametrize("key", [
    lambda i, j: (i, j),                   # two tensor items combined into one offset
    lambda i, j: (i, slice(None), j),      # not adjacent: broadcast dims go first
    lambda i, j: (slice(1, None), i),
    lambda i, j: (Ellipsis, j),
])
def test_getitem_setitem_with_several_tensor_indices(key):
    i = ember.tensor([[0, -1], [2, 1]])   # negative indices count from the end
    j = ember.tensor([1, -3])
    x = rand(3, 3, 3)
    k = key(i, j)
    tk = tuple(to_torch(e) if isinstance(e, ember.Tensor) else e for e in k)
    assert_close(x[k], to_torch(x)[tk])
    # setitem into a strided view
    y = rand(3, 3, 3, seed=7).transpose(0, 2)
    ty = to_torch(y).clone()
    value = rand(*tuple(ty[tk].shape), seed=8)
    y[k] = value
    ty[tk] = to_torch(value)
    assert_close(y, ty)


def test_index_out_of_range_names_the_dim():
    x = rand(3, 4)
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for dimension 1 with size 4"):
        x[ember.tensor([0]), ember.tensor([4])]
    with pytest.raises(IndexError, match=r"index -4 is out of bounds for dimension 0 with size 3"):
        x[ember.tensor([-4])] = 1.0


def test_dropout_mask_is_the_counter_hash():
    """Element i is kept iff uniform01(seed, i) >= p: the same draw for the same seed, whatever
    the shape, so the CUDA twin (which computes dropout_keeps per thread) drops the same ones."""
    x = ember.ones(1000, dtype=ember.float64)
    ember.manual_seed(3)
    a = ember.nn.functional.dropout(x, 0.3)
    ember.manual_seed(3)
    b = ember.nn.functional.dropout(x.reshape(10, 100), 0.3).reshape(1000)
    assert np.array_equal(a.numpy(), b.numpy())
    kept = a.numpy() != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(a.numpy()[kept], 1 / 0.7)
