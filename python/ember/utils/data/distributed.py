"""DistributedSampler, as torch.utils.data.distributed's: each of num_replicas ranks visits its own
share of the dataset, the shares together covering it once per epoch.

One epoch is an order of the indices (a permutation drawn from a Generator seeded with
seed + epoch, so every rank draws the same one without talking to the others; or 0..n-1 without
shuffle), padded by wrapping around to a multiple of num_replicas (or, with drop_last, cut down to
one), and rank r takes the positions r, r + num_replicas, r + 2 * num_replicas, ... of it, as
torch's. Position p of the padded order is position p % n of the order, which is how the padding
wraps (and wraps again when the dataset is smaller than the padding). Call set_epoch(epoch) at the
start of each epoch, or every epoch repeats the first one's order, as in torch.

The permutation comes from ember's randperm, which differs from torch's for the same seed, so the
indices differ from torch's; the rules above (coverage, padding, drop_last, lengths) are the same.
It knows its order (Note [Samplers that know their order]): a DataLoader over a TensorDataset cuts
batches from one native int64 tensor. Past MATERIALISE_LIMIT indices the order is the lazy keyed
permutation instead (Note [Shuffling without a permutation in memory]), read at this rank's
positions a chunk at a time."""
import builtins
import math

import numpy as np

from ...factories import arange
from ...random import Generator, randperm
from ._permutation import _CHUNK, MATERIALISE_LIMIT, LazyPermutation
from .sampler import Sampler


class DistributedSampler(Sampler):
    """This rank's indices of each epoch (see the module's docstring)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        if not isinstance(shuffle, builtins.bool) or not isinstance(drop_last, builtins.bool):
            raise ValueError(f"shuffle and drop_last should be boolean values, but got shuffle={shuffle}, "
                             f"drop_last={drop_last}")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # The largest multiple of num_replicas that fits: no rank gets a padded index.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def set_epoch(self, epoch):
        """The epoch whose order the next iteration gives (all ranks must set the same one)."""
        self.epoch = epoch

    def _generator(self):
        g = Generator()
        g.manual_seed(self.seed + self.epoch)
        return g

    def _positions(self):
        return range(self.rank, self.total_size, self.num_replicas)

    def __iter__(self):
        n = len(self.dataset)
        order = self._order()
        if order is not None:
            for start in range(0, order.shape[0], _CHUNK):
                yield from order[start:start + _CHUNK].tolist()
            return
        perm = LazyPermutation(n, self._generator()) if self.shuffle else None
        positions = self._positions()
        for start in range(0, len(positions), _CHUNK):
            chunk = positions[start:start + _CHUNK]
            at = np.arange(chunk.start, chunk.stop, chunk.step, dtype=np.uint64) % np.uint64(n)
            yield from (at.astype(np.int64) if perm is None else perm.at(at)).tolist()

    def __len__(self):
        return self.num_samples

    def _order(self):  # Note [Samplers that know their order]
        n = len(self.dataset)
        if n > MATERIALISE_LIMIT:
            return None  # __iter__ reads the order at this rank's positions a chunk at a time
        positions = arange(self.rank, max(self.rank, self.total_size), self.num_replicas)
        if n == 0:
            return positions
        if not self.shuffle:
            return positions % n
        return randperm(n, generator=self._generator())[positions % n]
