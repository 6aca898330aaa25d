"""Small 2-D classification datasets generated from a seed: the same seed gives the same points.

Each returns (X, y): X float32 of shape (n, 2), y int64 class labels of shape (n,)."""
import numpy as np

from ..factories import tensor


def _pack(X, y, rng):
    order = rng.permutation(len(y))
    return tensor(X[order].astype(np.float32)), tensor(y[order].astype(np.int64))


def spirals(n=1500, classes=3, noise=0.2, seed=0):
    """`classes` interleaved spiral arms, n points in all (the cs231n toy problem)."""
    if n < classes or classes < 2:
        raise ValueError(f"[spirals] need n >= classes >= 2, got n={n}, classes={classes}")
    rng = np.random.default_rng(seed)
    per = n // classes
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, per)
        theta = np.linspace(c * 4.0, (c + 1) * 4.0, per) + rng.normal(0.0, noise, per)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(per, c))
    return _pack(np.concatenate(xs), np.concatenate(ys), rng)


def moons(n=1000, noise=0.1, seed=0):
    """Two interleaving half circles."""
    rng = np.random.default_rng(seed)
    a = n // 2
    t0, t1 = np.linspace(0, np.pi, a), np.linspace(0, np.pi, n - a)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    X += rng.normal(0.0, noise, X.shape)
    y = np.concatenate([np.zeros(a), np.ones(n - a)])
    return _pack(X, y, rng)


def circles(n=1000, noise=0.05, factor=0.5, seed=0):
    """A small circle inside a large one."""
    rng = np.random.default_rng(seed)
    a = n // 2
    t0, t1 = np.linspace(0, 2 * np.pi, a, endpoint=False), np.linspace(0, 2 * np.pi, n - a, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        factor * np.stack([np.cos(t1), np.sin(t1)], 1)])
    X += rng.normal(0.0, noise, X.shape)
    y = np.concatenate([np.zeros(a), np.ones(n - a)])
    return _pack(X, y, rng)


# The generated 2-D sets: load(name, seed) gives (n, 2) points; the CLI trains on these.
DATASETS = {"spirals": spirals, "moons": moons, "circles": circles}


def _digits(seed=0, data=None, train=True):
    from .digits import digits
    return digits()


def _mnist(seed=0, data=None, train=True):
    from .idx import mnist
    return mnist(data, train=train)


def _fashion_mnist(seed=0, data=None, train=True):
    from .idx import fashion_mnist
    return fashion_mnist(data, train=train)


# Every name load() knows: the generated sets, scikit-learn's bundled digits, and MNIST /
# Fashion-MNIST read from local IDX files (they need data=the folder holding them).
ALL_DATASETS = dict(DATASETS, digits=_digits, mnist=_mnist, fashion_mnist=_fashion_mnist)


def load(name, seed=0, data=None, train=True):
    """(X, y) of a named dataset. seed is used by the generated sets; data (a folder) and train
    by mnist / fashion_mnist, which are read from local files and never downloaded."""
    if name not in ALL_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(ALL_DATASETS)}")
    if name in DATASETS:
        return DATASETS[name](seed=seed)
    return ALL_DATASETS[name](seed=seed, data=data, train=train)
