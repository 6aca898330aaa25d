"""DataLoader: batches of a dataset, in order or shuffled by ember's counter-based generator.

Note [Fast path for TensorDataset]: when the dataset is a TensorDataset and no collate_fn is
given, a batch is one native index_select per tensor with the batch's indices, instead of
fetching each sample in Python and stacking them; the result equals default_collate's.

Note [Batches of device-resident data]: when that TensorDataset's tensors live on a GPU, the
epoch's order (a permutation drawn on the host, so it is the same as on the CPU) is moved to the
device once per epoch; each batch's indices are then a slice of it on the device and the batch
an index_select on the device, so iterating moves nothing between host and device per batch."""
import builtins
import collections.abc
import math

import numpy as np

from .. import _C
from ..factories import arange, tensor
from .dataset import TensorDataset

Tensor = _C.Tensor


class Generator:
    """A random generator with its own seed and offset, for shuffling independently of the global
    seed (as torch.Generator for a DataLoader). It draws from the same counter-based generator as
    ember.randperm, so Generator().manual_seed(s) repeats its permutations exactly."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._offset = 0

    def manual_seed(self, seed):
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._offset = 0
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return (self._seed, self._offset)

    def set_state(self, state):
        self._seed, self._offset = (int(v) for v in state)
        return self

    def randperm(self, n):
        perm = _C._randperm_from(n, self._seed, self._offset)
        self._offset += n
        return perm


def randperm(n, generator=None):
    """A random permutation of 0..n-1 from `generator`, or from the global generator (ember.manual_seed)."""
    return _C.randperm(n) if generator is None else generator.randperm(n)


def default_collate(batch):
    """Stacks a list of samples into a batch, as torch's default_collate: tensors are stacked,
    Python ints/floats/bools become int64/float64/bool tensors, NumPy arrays become tensors,
    and tuples, lists and dicts are collated field by field (a tuple gives a list)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(list(batch), 0)
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
        return tensor(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, builtins.bool):
        return tensor(list(batch), dtype=_C.dtype.bool)
    if isinstance(elem, int):
        return tensor(list(batch), dtype=_C.dtype.int64)
    if isinstance(elem, float):
        return tensor(list(batch), dtype=_C.dtype.float64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterates over `dataset` in batches of `batch_size` samples.

    shuffle=True draws a new permutation each epoch from `generator` (or the global generator);
    drop_last=True drops a final batch smaller than batch_size."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None, collate_fn=None):
        if isinstance(batch_size, builtins.bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(shuffle, builtins.bool):
            raise TypeError(f"shuffle should be a boolean value, but got shuffle={shuffle!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self._fast = isinstance(dataset, TensorDataset) and collate_fn is None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, n):
        return randperm(n, self.generator) if self.shuffle else arange(n)

    def __iter__(self):
        n = len(self.dataset)
        order = self._order(n)
        if self._fast and self.dataset.tensors and self.dataset.tensors[0].device.type != "cpu":
            order = order.to(self.dataset.tensors[0].device)  # Note [Batches of device-resident data]
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            idx = order[start:min(start + self.batch_size, n)]
            if self._fast:  # tensors on other devices than the first (rare) get their own copy
                yield [t.index_select(0, idx if t.device == idx.device else idx.to(t.device))
                       for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[i] for i in idx.tolist()])
