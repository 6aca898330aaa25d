"""Samplers, as torch.utils.data's: which dataset indices an epoch visits, in what order, and how
they are grouped into batches. All are lazy: an index is made when it is asked for, and no
sampler holds an epoch's indices in a Python list, so a dataset whose len() is 2**62 can be
sampled (Note [Shuffling without a permutation in memory] in _permutation.py). Arguments are
checked as torch 2.13 checks them, with the same exception types and messages.

Note [Samplers that know their order]: SequentialSampler and RandomSampler (without replacement)
can give a whole epoch's order as one native int64 tensor (arange or randperm). A DataLoader over
a TensorDataset uses it to cut each batch as a slice of that tensor and gather the rows natively
(Note [Fast path for TensorDataset]); iterating them in Python gives the same indices."""
import builtins
import itertools

from ... import _C
from ...factories import arange, as_tensor
from ...random import Generator, randint, randperm
from ._permutation import MATERIALISE_LIMIT, shuffled


class Sampler:
    """Yields dataset indices; subclasses give __iter__ (and __len__ where the count is known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)

    def _order(self):  # Note [Samplers that know their order]
        return arange(len(self.data_source))


class RandomSampler(Sampler):
    """A random order of the indices: one permutation per epoch, or num_samples draws with
    replacement; from `generator`, or from the global generator when it is None."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, builtins.bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        n = self.num_samples
        if not isinstance(n, int) or n <= 0:  # as torch's: num_samples=True passes (it is the int 1)
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={n}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be an ember.Generator or None, but got {type(generator).__name__}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:  # drawn 32 at a time, as torch's, so a huge num_samples stays lazy
            for start in range(0, self.num_samples, 32):
                yield from randint(0, n, (min(32, self.num_samples - start),), generator=self.generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from shuffled(n, self.generator)
        if self.num_samples % n:
            yield from itertools.islice(shuffled(n, self.generator), self.num_samples % n)

    def __len__(self):
        return self.num_samples

    def _order(self):  # Note [Samplers that know their order]
        n = len(self.data_source)
        if self.replacement or self.num_samples != n or n > MATERIALISE_LIMIT:
            return None  # past the limit __iter__ shuffles lazily; this order must be the same
        return randperm(n, generator=self.generator)


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in shuffled(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn from 0..len(weights)-1 with probabilities proportional to weights
    (with or without replacement), as torch's: one multinomial draw per epoch."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, builtins.bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, builtins.bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = as_tensor(weights, dtype=_C.dtype.float64)
        if len(weights.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        yield from _C.multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of batch_size (the last one shorter unless
    drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, builtins.bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, builtins.bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
