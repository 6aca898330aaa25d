"""Random orders of range(n) for the samplers, in memory that does not grow with n.

Note [Shuffling without a permutation in memory]: torch's RandomSampler shuffles by materialising
randperm(n) and then a Python list of it: 8n bytes plus ~36n more, which for a dataset whose len()
is 2**62 (a stream of generated samples, a sharded corpus indexed lazily) cannot be allocated at
all. ember does what torch does up to MATERIALISE_LIMIT indices (randperm, an exactly uniform
shuffle, handed out a chunk at a time so the Python list never holds the epoch). Past that it
uses a keyed pseudorandom permutation: a balanced Feistel network on 2k-bit integers (2**2k >= n,
so under 4n of them) whose round function is the splitmix64 finaliser keyed by draws from the
generator, and cycle walking (re-encrypt until the value is below n), which keeps it a bijection
of range(n). Each index costs a few dozen integer operations, done with NumPy a chunk at a time;
memory is O(chunk). The permutation is not uniform over all n! orders (no O(n)-memory-free method
is), but it visits every index exactly once per epoch in an order no simple pattern predicts,
and the same generator state gives the same order."""
import numpy as np

from ...random import randint, randperm

MATERIALISE_LIMIT = 2 ** 24  # 128 MiB of int64: above this, the lazy permutation
_CHUNK = 4096
_ROUNDS = 6
_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def shuffled(n, generator=None):
    """Yields 0..n-1 in a random order drawn from `generator` (the global one when None)."""
    if n <= MATERIALISE_LIMIT:
        perm = randperm(n, generator=generator)
        for start in range(0, n, _CHUNK):
            yield from perm[start:start + _CHUNK].tolist()
        return
    perm = LazyPermutation(n, generator)
    for start in range(0, n, _CHUNK):
        yield from perm.take(start, min(start + _CHUNK, n)).tolist()


class LazyPermutation:
    """perm.take(a, b): positions a..b-1 of one pseudorandom permutation of range(n)."""

    def __init__(self, n, generator=None):
        if n < 1:
            raise ValueError(f"LazyPermutation needs n >= 1, got {n}")
        self.n = n
        bits = max(2, (n - 1).bit_length())
        self._half = np.uint64((bits + 1) // 2)
        self._mask = np.uint64((1 << int(self._half)) - 1)
        self._keys = [np.uint64(k) for k in randint(0, 2 ** 62, (_ROUNDS,), generator=generator).tolist()]

    def _encrypt(self, x):
        left, right = x >> self._half, x & self._mask
        for key in self._keys:
            left, right = right, left ^ (_mix(right ^ key) & self._mask)
        return (left << self._half) | right

    def take(self, start, stop):
        return self.at(np.arange(start, stop, dtype=np.uint64))

    def at(self, positions):
        """The permutation's values at the given positions (a NumPy integer array, each below n)."""
        y = self._encrypt(np.asarray(positions, dtype=np.uint64))
        n = np.uint64(self.n)
        outside = np.flatnonzero(y >= n)
        while outside.size:  # cycle walking: each walk ends, since its cycle holds a value below n
            y[outside] = self._encrypt(y[outside])
            outside = outside[y[outside] >= n]
        return y.astype(np.int64)


def _mix(z):
    """splitmix64's finaliser, elementwise on uint64 (wrapping multiplication is the point)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))
