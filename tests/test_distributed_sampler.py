"""DistributedSampler, in one process with explicit num_replicas and rank. Without shuffling the
indices must equal torch's; with shuffling ember's randperm differs from torch's for the same
seed, so the rules are checked instead: each epoch's shares, interleaved, are one permutation
of the dataset, padded by wrapping around (or cut with drop_last), the same on every rank."""
import itertools

import pytest

import ember
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

torch = pytest.importorskip("torch")
from torch.utils.data import DistributedSampler as TorchDistributedSampler  # noqa: E402

CASES = [(n, r) for n in (0, 1, 2, 5, 10, 11, 12, 13) for r in (1, 2, 3, 4, 5)]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n,replicas", CASES)
def test_unshuffled_indices_and_lengths_equal_torchs(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchDistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def _epoch(n, replicas, drop_last, seed=0, epoch=0):
    shares = []
    for rank in range(replicas):
        s = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=seed, drop_last=drop_last)
        s.set_epoch(epoch)
        shares.append(list(s))
    # Position p of the epoch's padded order went to rank p % replicas.
    return [shares[p % replicas][p // replicas] for p in range(sum(map(len, shares)))], shares


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n,replicas", [c for c in CASES if c[0] > 0])
def test_shuffled_epoch_is_a_permutation_padded_by_wrapping(n, replicas, drop_last):
    order, shares = _epoch(n, replicas, drop_last)
    lengths = {len(s) for s in shares}
    assert len(lengths) == 1 and lengths.pop() == len(TorchDistributedSampler(range(n), replicas, 0,
                                                                              drop_last=drop_last))
    if drop_last:
        assert len(order) == n - n % replicas and len(set(order)) == len(order)  # no index twice
    else:
        assert sorted(order[:n]) == list(range(n))  # every index exactly once, then the padding
        assert order[n:] == [order[p % n] for p in range(n, len(order))]
        assert len(order) % replicas == 0 and len(order) - n < replicas


def test_epochs_and_seeds_change_the_order_and_ranks_agree():
    first, _ = _epoch(100, 3, False)
    assert first == _epoch(100, 3, False)[0]  # every rank draws the same permutation, without talking
    assert first != _epoch(100, 3, False, epoch=1)[0]
    assert first != _epoch(100, 3, False, seed=1)[0]
    assert first != list(range(100)) + first[100:]


def test_loader_over_a_tensor_dataset_gives_the_samplers_indices():
    data = TensorDataset(ember.arange(23) * 10)
    for rank in range(3):
        sampler = DistributedSampler(data, 3, rank, seed=5)
        sampler.set_epoch(2)
        batches = [b[0].tolist() for b in DataLoader(data, batch_size=4, sampler=sampler)]
        assert list(itertools.chain(*batches)) == [i * 10 for i in sampler]


class Huge:
    def __len__(self):
        return 2 ** 40


def test_huge_dataset_is_sampled_lazily():
    shares = [list(itertools.islice(iter(DistributedSampler(Huge(), 2, r, seed=3)), 5000)) for r in range(2)]
    flat = shares[0] + shares[1]
    assert len(set(flat)) == len(flat) and all(0 <= i < 2 ** 40 for i in flat)
    assert list(itertools.islice(iter(DistributedSampler(Huge(), 4, 3, shuffle=False)), 3)) == [3, 7, 11]
    assert len(DistributedSampler(Huge(), 3, 0)) == -(-2 ** 40 // 3)


def test_argument_errors_as_torch():
    for rank in (-1, 3):
        with pytest.raises(ValueError) as ours:
            DistributedSampler(range(10), 3, rank)
        with pytest.raises(ValueError) as theirs:
            TorchDistributedSampler(range(10), 3, rank)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(10))
