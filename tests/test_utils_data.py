"""ember.utils.data against torch.utils.data: the DataLoader's arguments and their errors, samplers,
random_split, Subset/Concat/Iterable datasets, batch_size=None, worker threads, pin_memory."""
import threading
import time
import warnings

import numpy as np
import pytest
from conftest import torch

import ember
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                              default_convert, get_worker_info, random_split)

tdata = torch.utils.data


def _both(n=10):
    return TensorDataset(ember.arange(n)), tdata.TensorDataset(torch.arange(n))


def _values(batches):
    return [b[0].tolist() if isinstance(b, list) else b.tolist() for b in batches]


class Squares(Dataset):
    """A plain map-style dataset: sample i is i*i (a Python int)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


@pytest.mark.parametrize("kwargs", [
    dict(drop_last="x"), dict(batch_size=0), dict(batch_size=True), dict(batch_size=2.0), dict(num_workers=-1),
    dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True), dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(num_workers=1, prefetch_factor=-1),
])
def test_loader_argument_errors_match_torch(kwargs):
    ds, tds = _both()
    with pytest.raises(Exception) as theirs:
        list(tdata.DataLoader(tds, **kwargs))
    with pytest.raises(type(theirs.value), match="^" + __import__("re").escape(str(theirs.value)) + "$"):
        DataLoader(ds, **kwargs)


def test_generator_must_be_a_generator():
    ds, tds = _both()
    with pytest.raises(TypeError):
        list(tdata.DataLoader(tds, shuffle=True, generator=42))
    with pytest.raises(TypeError, match="generator should be an ember.Generator"):
        DataLoader(ds, shuffle=True, generator=42)
    with pytest.raises(TypeError, match="generator should be an ember.Generator"):
        RandomSampler(ds, generator="seed")


def test_iterable_dataset_refuses_shuffle_and_samplers_like_torch():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    class TStream(tdata.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    for kwargs in [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])]:
        with pytest.raises(ValueError) as theirs:
            tdata.DataLoader(TStream(), **kwargs)
        with pytest.raises(ValueError) as mine:
            DataLoader(Stream(), **kwargs)
        assert str(mine.value) == str(theirs.value)
    assert _values(DataLoader(Stream(), batch_size=2)) == _values(tdata.DataLoader(TStream(), batch_size=2))
    assert _values(DataLoader(Stream(), batch_size=2, drop_last=True)) == [[0, 1], [2, 3]]
    assert list(DataLoader(Stream(), batch_size=None)) == list(tdata.DataLoader(TStream(), batch_size=None))


def test_sampler_and_batch_sampler_arguments_give_torchs_batches():
    ds, tds = _both(11)
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    assert _values(DataLoader(ds, batch_size=3, sampler=order)) == \
        _values(tdata.DataLoader(tds, batch_size=3, sampler=order))
    batches = [[0, 2], [4], [10, 9, 8]]
    assert _values(DataLoader(ds, batch_sampler=batches)) == _values(tdata.DataLoader(tds, batch_sampler=batches))
    mine = BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(7)), 3, drop_last=True)
    assert list(mine) == list(theirs) and len(mine) == len(theirs) == 2
    assert len(DataLoader(ds, batch_sampler=mine)) == 2


def test_samplers_are_lazy_on_huge_datasets():
    huge = Squares(2**62)
    loader = DataLoader(huge, batch_size=4)
    assert len(loader) == 2**60
    assert next(iter(loader)).tolist() == [0, 1, 4, 9]
    assert next(iter(RandomSampler(huge, replacement=True, num_samples=2**61))) < 2**62
    assert len(BatchSampler(SequentialSampler(huge), 2**10, drop_last=False)) == 2**52


def test_random_sampler_options_and_errors():
    ds = Squares(6)
    g = ember.Generator().manual_seed(5)
    perm = list(RandomSampler(ds, generator=g))
    assert sorted(perm) == list(range(6))
    twice = list(RandomSampler(ds, num_samples=9, generator=g))
    assert len(twice) == 9 and sorted(twice[:6]) == list(range(6))
    drawn = list(RandomSampler(ds, replacement=True, num_samples=70, generator=g))
    assert len(drawn) == 70 and all(0 <= i < 6 for i in drawn) and len(set(drawn)) == 6
    again = list(RandomSampler(ds, replacement=True, num_samples=70, generator=ember.Generator().manual_seed(5)))
    assert again != drawn  # g had moved on
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(ds, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(ds, num_samples=0)
    sub = list(SubsetRandomSampler([10, 20, 30], generator=g))
    assert sorted(sub) == [10, 20, 30]


def test_shuffled_fast_path_equals_the_samplers_own_order():
    ds = TensorDataset(ember.arange(20) * 10)
    fast = _values(DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(1)))
    order = list(RandomSampler(ds, generator=ember.Generator().manual_seed(1)))
    assert [v for b in fast for v in b] == [10 * i for i in order]


def test_random_split_lengths_match_torch_and_cover_the_dataset():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [1.0]):
        mine = random_split(range(10), lengths, generator=ember.Generator().manual_seed(0))
        theirs = tdata.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in mine] == [len(s) for s in theirs]
        assert sorted(i for s in mine for i in s) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_subset_concat_and_chain_datasets():
    sub = Subset(Squares(10), [9, 0, 3])
    assert [sub[i] for i in range(3)] == [81, 0, 9] and len(sub) == 3
    cat = ConcatDataset([Squares(3), Squares(2)])
    assert [cat[i] for i in range(5)] == [0, 1, 4, 0, 1] and cat[-1] == 1 and len(cat) == 5
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-6]
    with pytest.raises(IndexError):
        cat[5]
    assert [cat[i] for i in range(5)] == [tdata.ConcatDataset([Squares(3), Squares(2)])[i] for i in range(5)]

    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    assert list(Count(2) + Count(3)) == [0, 1, 0, 1, 2]
    assert isinstance(Count(2) + Count(3), ChainDataset)
    with pytest.raises(ValueError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Count(2)])


def test_batch_size_none_converts_samples_like_torch():
    samples = [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)]
    mine = list(DataLoader(samples, batch_size=None))
    theirs = list(tdata.DataLoader(samples, batch_size=None))
    for m, t in zip(mine, theirs):
        assert isinstance(m, ember.Tensor) and m.dtype == ember.float32
        np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert default_convert((np.int64(3), "a"))[1] == "a"
    assert default_convert({"x": np.zeros(2)})["x"].dtype == ember.float64


def test_map_style_workers_keep_order_and_run_worker_init_fn():
    seen = []
    infos = []

    class Recording(Squares):
        def __getitem__(self, i):
            infos.append(get_worker_info())
            return super().__getitem__(i)

    loader = DataLoader(Recording(23), batch_size=4, num_workers=2, worker_init_fn=seen.append)
    assert _values(loader) == _values(DataLoader(Squares(23), batch_size=4))
    assert sorted(seen) == [0, 1]
    assert all(info is not None and info.num_workers == 2 and info.id in (0, 1) for info in infos)
    assert get_worker_info() is None


def test_persistent_workers_are_reused_across_epochs():
    calls = []
    loader = DataLoader(Squares(8), batch_size=2, num_workers=2, persistent_workers=True, worker_init_fn=calls.append)
    assert _values(loader) == _values(loader)
    assert sorted(calls) == [0, 1]


def test_iterable_workers_shard_with_get_worker_info():
    class Sharded(IterableDataset):
        def __iter__(self):
            info = get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 12, step))

    loader = DataLoader(Sharded(), batch_size=2, num_workers=3)
    values = sorted(v for b in _values(loader) for v in b)
    assert values == list(range(12))


def test_worker_errors_and_timeouts_reach_the_caller():
    class Broken(Squares):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError("sample 5 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Broken(8), batch_size=2, num_workers=2))

    class Slow(Squares):
        def __getitem__(self, i):
            time.sleep(0.5)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.05 seconds"):
        list(DataLoader(Slow(2), batch_size=1, num_workers=1, timeout=0.05))


def test_pin_memory_without_a_gpu_warns_like_torch():
    ds, tds = _both()
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        list(tdata.DataLoader(tds, pin_memory=True))
    with warnings.catch_warnings(record=True) as mine:
        warnings.simplefilter("always")
        batches = list(DataLoader(ds, pin_memory=True))
    if ember.cuda.is_available():
        assert all(b[0].is_pinned() for b in batches)
    else:
        assert [str(w.message) for w in mine] == [str(w.message) for w in theirs if "pin_memory" in str(w.message)]
    assert len(batches) == 10


def test_loader_threads_leave_nothing_running():
    before = threading.active_count()
    list(DataLoader(Squares(6), batch_size=2, num_workers=2))
    time.sleep(0.2)
    assert threading.active_count() <= before
