"""DataLoader and sampler arguments, checked against torch 2.13 (same exception type and message),
and samplers over a dataset whose len() is 2**62 (lazy: a few batches allocate almost nothing)."""
import itertools
import multiprocessing
import tracemalloc

import numpy as np
import pytest

import ember
from ember.utils import data as edata
from ember.utils.data import _permutation

torch = pytest.importorskip("torch")
from torch.utils import data as tdata  # noqa: E402


class _TorchStream(tdata.IterableDataset):
    def __iter__(self):
        return iter(range(4))


class _EmberStream(edata.IterableDataset):
    def __iter__(self):
        return iter(range(4))


def _outcome(lib, what, kwargs, iterable=False):
    """'ok' or (exception type name, message) of building `what` and drawing one item from it."""
    d = tdata if lib == "torch" else edata
    dataset = (_TorchStream() if lib == "torch" else _EmberStream()) if iterable else list(range(10))
    try:
        if what == "DataLoader":
            next(iter(d.DataLoader(dataset, **kwargs)))
        elif what == "WeightedRandomSampler":
            next(iter(d.WeightedRandomSampler(**kwargs)))
        elif what == "BatchSampler":
            next(iter(d.BatchSampler(d.SequentialSampler(dataset), **kwargs)))
        else:
            next(iter(getattr(d, what)(dataset, **kwargs)))
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever each raises
        return type(e).__name__, str(e)
    return "ok"


SAME = [  # (what, kwargs, iterable dataset?)
    ("DataLoader", dict(drop_last="x"), False), ("DataLoader", dict(drop_last=1), False),
    ("DataLoader", dict(drop_last=None), False), ("DataLoader", dict(batch_size=0), False),
    ("DataLoader", dict(batch_size=-1), False), ("DataLoader", dict(batch_size=2.0), False),
    ("DataLoader", dict(batch_size="2"), False), ("DataLoader", dict(batch_size=True), False),
    ("DataLoader", dict(batch_size=None), False), ("DataLoader", dict(batch_size=None, drop_last=True), False),
    ("DataLoader", dict(batch_size=0), True), ("DataLoader", dict(drop_last="x"), True),
    ("DataLoader", dict(shuffle=True), True), ("DataLoader", dict(shuffle="x"), True),
    ("DataLoader", dict(shuffle=False), True), ("DataLoader", dict(sampler=[0, 1]), True),
    ("DataLoader", dict(batch_sampler=[[0, 1]]), True), ("DataLoader", dict(sampler=[0, 1], shuffle=True), False),
    ("DataLoader", dict(sampler=[0, 1], shuffle=False), False), ("DataLoader", dict(shuffle="yes"), False),
    ("DataLoader", dict(shuffle=1), False), ("DataLoader", dict(shuffle=0), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], batch_size=2), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], shuffle=True), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], sampler=[0]), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], drop_last=True), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], batch_size=None), False),
    ("DataLoader", dict(batch_sampler=[[0, 1]], shuffle=False), False),
    ("DataLoader", dict(num_workers=-1), False), ("DataLoader", dict(num_workers="2"), False),
    ("DataLoader", dict(timeout=-1), False), ("DataLoader", dict(timeout=-0.5), False),
    ("DataLoader", dict(timeout="1"), False), ("DataLoader", dict(prefetch_factor=2), False),
    ("DataLoader", dict(prefetch_factor=-1, num_workers=1), False),
    ("DataLoader", dict(persistent_workers=True), False),
    ("DataLoader", dict(persistent_workers="x", num_workers=0), False),
    ("DataLoader", dict(collate_fn=3), False), ("DataLoader", dict(pin_memory=False), False),
    ("DataLoader", dict(multiprocessing_context="bogus", num_workers=1), False),
    ("DataLoader", dict(multiprocessing_context=3, num_workers=1), False),
    ("DataLoader", dict(multiprocessing_context="spawn"), False),
    ("DataLoader", dict(multiprocessing_context=multiprocessing.get_context("spawn")), False),
    ("DataLoader", dict(in_order="x"), False),
    ("RandomSampler", dict(num_samples=0), False), ("RandomSampler", dict(num_samples=-1), False),
    ("RandomSampler", dict(num_samples=2.0), False), ("RandomSampler", dict(num_samples="3"), False),
    ("RandomSampler", dict(num_samples=True), False), ("RandomSampler", dict(replacement=1), False),
    ("RandomSampler", dict(replacement="x"), False), ("RandomSampler", dict(replacement=None), False),
    ("RandomSampler", dict(num_samples=15), False), ("RandomSampler", dict(num_samples=15, replacement=True), False),
    ("WeightedRandomSampler", dict(weights=[0.1, 0.9], num_samples=0), False),
    ("WeightedRandomSampler", dict(weights=[0.1, 0.9], num_samples=True), False),
    ("WeightedRandomSampler", dict(weights=[0.1, 0.9], num_samples=2.0), False),
    ("WeightedRandomSampler", dict(weights=[0.1, 0.9], num_samples=3, replacement=1), False),
    ("WeightedRandomSampler", dict(weights=[[0.1, 0.9]], num_samples=3), False),
    ("WeightedRandomSampler", dict(weights=[0.1, 0.9], num_samples=3), False),
    ("BatchSampler", dict(batch_size=0, drop_last=False), False),
    ("BatchSampler", dict(batch_size=2.0, drop_last=False), False),
    ("BatchSampler", dict(batch_size=True, drop_last=False), False),
    ("BatchSampler", dict(batch_size=None, drop_last=False), False),
    ("BatchSampler", dict(batch_size=2, drop_last=1), False),
    ("BatchSampler", dict(batch_size=2, drop_last="x"), False),
]


@pytest.mark.parametrize("what,kwargs,iterable", SAME, ids=[f"{w}-{k}{'-iterable' if i else ''}" for w, k, i in SAME])
def test_same_error_as_torch(what, kwargs, iterable):
    assert _outcome("ember", what, kwargs, iterable) == _outcome("torch", what, kwargs, iterable)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's iterator, half made
def test_the_deliberate_differences():
    """Note [Arguments as torch checks them] in ember/utils/data/dataloader.py."""
    # A generator that is not a Generator: the same TypeError, when the DataLoader is made.
    for kwargs in (dict(generator=42), dict(generator=42, shuffle=True)):
        assert _outcome("torch", "DataLoader", kwargs)[0] == "TypeError"
        with pytest.raises(TypeError, match="generator should be an ember.Generator or None, but got int"):
            edata.DataLoader(list(range(4)), **kwargs)
    assert _outcome("torch", "RandomSampler", dict(generator=42))[0] == "TypeError"
    with pytest.raises(TypeError, match="generator should be an ember.Generator"):
        edata.RandomSampler(list(range(4)), generator=42)
    # Not an integer: torch's TypeError from range() at the first batch, raised at once.
    for kwargs in (dict(num_workers=1.5), dict(num_workers=1, prefetch_factor=2.5)):
        assert _outcome("torch", "DataLoader", kwargs) == ("TypeError", "'float' object cannot be interpreted as an "
                                                                         "integer")
        with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
            edata.DataLoader(list(range(4)), **kwargs)
    # prefetch_factor=0 with workers: torch's AssertionError, as the ValueError a user mistake is.
    assert _outcome("torch", "DataLoader", dict(prefetch_factor=0, num_workers=1))[0] == "AssertionError"
    with pytest.raises(ValueError, match="prefetch_factor must be greater than 0"):
        edata.DataLoader(list(range(4)), prefetch_factor=0, num_workers=1)


def test_weighted_random_sampler():
    g = ember.Generator().manual_seed(0)
    sampler = edata.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400, generator=g)
    got = list(sampler)
    assert len(sampler) == 400 and set(got) == {1, 3} and 60 < got.count(1) < 140
    assert sorted(edata.WeightedRandomSampler([1, 2, 3], 3, replacement=False)) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(edata.WeightedRandomSampler([1, 2], 3, replacement=False))
    loader = edata.DataLoader(list(range(4)), batch_size=2, sampler=edata.WeightedRandomSampler([0, 0, 1, 0], 4))
    assert [b.tolist() for b in loader] == [[2, 2], [2, 2]]


@pytest.mark.parametrize("attr", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_fixed_attributes_as_torch(attr):
    msgs = []
    for d in (tdata, edata):
        loader = d.DataLoader(list(range(4)))
        with pytest.raises(ValueError) as info:
            setattr(loader, attr, 1)
        msgs.append(str(info.value))
        loader.num_workers = 0  # the others stay settable
    assert msgs[0] == msgs[1] == f"{attr} attribute should not be set after DataLoader is initialized"


def test_multiprocessing_context_is_kept_as_a_context():
    for d in (tdata, edata):
        loader = d.DataLoader(list(range(4)), num_workers=1, multiprocessing_context="spawn")
        assert isinstance(loader.multiprocessing_context, multiprocessing.context.BaseContext)
        assert loader.multiprocessing_context.get_start_method() == "spawn"
    assert [b.tolist() for b in edata.DataLoader(list(range(4)), batch_size=2, num_workers=1,
                                                 multiprocessing_context="spawn")] == [[0, 1], [2, 3]]


# ---- a dataset of 2**62 samples

class Huge(edata.Dataset):
    def __len__(self):
        return 2 ** 62

    def __getitem__(self, i):
        if not 0 <= i < 2 ** 62:
            raise IndexError(i)
        return i


def _small_allocations(fn, limit=4 << 20):
    """Runs fn(); asserts Python and NumPy allocated under `limit` bytes at the peak."""
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak} bytes"
    return out


def test_sequential_and_batch_samplers_are_lazy():
    huge = Huge()
    seq = edata.SequentialSampler(huge)
    assert len(seq) == 2 ** 62
    assert _small_allocations(lambda: list(itertools.islice(seq, 5))) == [0, 1, 2, 3, 4]
    batches = edata.BatchSampler(seq, batch_size=3, drop_last=True)
    assert len(batches) == 2 ** 62 // 3 and len(edata.BatchSampler(seq, 3, False)) == (2 ** 62 + 2) // 3
    assert _small_allocations(lambda: list(itertools.islice(batches, 2))) == [[0, 1, 2], [3, 4, 5]]
    loader = edata.DataLoader(huge, batch_size=4)
    assert len(loader) == 2 ** 60
    assert _small_allocations(lambda: next(iter(loader))).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("replacement", [False, True])
def test_random_sampler_is_lazy(replacement):
    huge = Huge()
    g = ember.Generator().manual_seed(3)
    sampler = edata.RandomSampler(huge, replacement=replacement, generator=g)
    assert len(sampler) == 2 ** 62
    first = _small_allocations(lambda: list(itertools.islice(sampler, 2000)))
    assert all(0 <= i < 2 ** 62 for i in first) and len(set(first)) == len(first)
    assert max(first) > 2 ** 61  # spread over the range, not bunched at its start
    g.manual_seed(3)
    assert list(itertools.islice(sampler, 2000)) == first  # the generator decides the order
    few = edata.RandomSampler(huge, replacement=replacement, num_samples=7)
    assert len(few) == 7 and len(list(few)) == 7
    loader = edata.DataLoader(huge, batch_size=8, sampler=sampler) if replacement else \
        edata.DataLoader(huge, batch_size=8, shuffle=True)
    assert len(loader) == 2 ** 59
    batch = _small_allocations(lambda: next(iter(loader)))
    assert batch.shape == (8,) and batch.dtype == ember.int64


def test_subset_random_sampler_over_a_huge_range():
    sampler = edata.SubsetRandomSampler(range(0, 2 ** 63 - 1, 2))
    first = _small_allocations(lambda: list(itertools.islice(sampler, 100)))
    assert len(set(first)) == 100 and all(i % 2 == 0 for i in first)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 17, 255, 256, 257, 1000, 4097])
def test_lazy_permutation_is_a_bijection(n):
    perm = _permutation.LazyPermutation(n, ember.Generator().manual_seed(n))
    values = perm.take(0, n)
    assert sorted(values.tolist()) == list(range(n))
    assert perm.take(n // 3, n).tolist() == values[n // 3:].tolist()  # any slice of one permutation
    if n >= 17:
        assert values.tolist() != list(range(n))


def test_past_the_limit_the_random_order_is_lazy_and_complete(monkeypatch):
    monkeypatch.setattr(_permutation, "MATERIALISE_LIMIT", 64)
    monkeypatch.setattr(edata.sampler, "MATERIALISE_LIMIT", 64)
    data = list(range(1000))
    sampler = edata.RandomSampler(data, num_samples=2500)
    got = list(sampler)
    assert len(got) == 2500 and sorted(got[:1000]) == data and sorted(got[1000:2000]) == data
    assert len(set(got[2000:])) == 500
    # A TensorDataset past the limit takes the per-batch path, in the sampler's own order.
    ds = edata.TensorDataset(ember.arange(1000))
    g = ember.Generator()
    g.manual_seed(5)
    batches = [b[0].tolist() for b in edata.DataLoader(ds, batch_size=100, shuffle=True, generator=g)]
    g.manual_seed(5)
    assert sum(batches, []) == list(edata.RandomSampler(ds, generator=g))
    assert sorted(sum(batches, [])) == data


def test_materialised_shuffle_still_matches_the_fast_path():
    ds = edata.TensorDataset(ember.arange(50))
    g = ember.Generator()
    g.manual_seed(1)
    fast = np.concatenate([b[0].numpy() for b in edata.DataLoader(ds, batch_size=7, shuffle=True, generator=g)])
    g.manual_seed(1)
    assert fast.tolist() == list(edata.RandomSampler(ds, generator=g))
