"""Readers of IDX files (the MNIST / Fashion-MNIST format), raw or gzipped, from local disk only.

An IDX file is: two zero bytes, a type code, the number of dimensions n, n big-endian uint32
sizes, then the elements, big-endian, row-major. ember never downloads: mnist() reads files the
user already has and says where it looked when they are missing."""
import gzip
import os
import zlib

import numpy as np

from ..factories import tensor

_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
# MNIST's own magic numbers: unsigned bytes, 3 dims for images, 1 for labels.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":  # gzip's magic, whatever the file is called
            return gzip.decompress(data)
        return data
    except (OSError, EOFError, zlib.error) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable gzip file ({e})") from None


def parse_idx(data, name="IDX data"):
    """The array held by the bytes of an IDX file; ValueError naming the problem if they are not one."""
    if len(data) < 4:
        raise ValueError(f"{name}: truncated IDX file ({len(data)} bytes, shorter than the 4-byte magic number)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: not an IDX file (magic number {data[:4].hex()} does not start with two zero bytes)")
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{name}: unknown IDX element type 0x{code:02x} (expected one of "
                         + ", ".join(f"0x{c:02x}" for c in _IDX_TYPES) + ")")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated IDX header (needs {header} bytes for {ndim} dimensions, "
                         f"file has {len(data)})")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{name}: IDX file {what}: shape {shape} of {dtype.name} needs {expected} bytes, "
                         f"the file has {len(data)}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def read_idx(path):
    """The NumPy array stored in the IDX file at `path` (raw or gzipped)."""
    return parse_idx(_read_bytes(path), name=str(path))


def _magic(data):
    return int.from_bytes(data[:4], "big") if len(data) >= 4 else None


_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find(root, subdirs, stem):
    tried = []
    for d in [root] + [os.path.join(root, s) for s in subdirs]:
        for name in (stem, stem + ".gz"):
            path = os.path.join(d, name)
            tried.append(path)
            if os.path.isfile(path):
                return path, tried
    return None, tried


def _load_pair(root, train, subdirs, what, flatten):
    if root is None:
        raise ValueError(f"[{what}] needs the folder holding its IDX files (data=... / root=...); "
                         "ember does not download data sets")
    root = os.fspath(root)
    arrays = []
    for stem, magic, ndim in zip(_FILES[bool(train)], (IMAGES_MAGIC, LABELS_MAGIC), (3, 1)):
        path, tried = _find(root, subdirs, stem)
        if path is None:
            raise FileNotFoundError(f"[{what}] {stem} (or {stem}.gz) not found; looked for: " + ", ".join(tried)
                                    + f". ember does not download data sets: put the {what} IDX files there")
        data = _read_bytes(path)
        if _magic(data) != magic:
            raise ValueError(f"{path}: magic number {data[:4].hex()} is not {magic:08x}, expected for "
                             f"{'an image' if ndim == 3 else 'a label'} file")
        arrays.append(parse_idx(data, name=path))
    images, labels = arrays
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"[{what}] {images.shape[0]} images but {labels.shape[0]} labels")
    X = images.astype(np.float32) / np.float32(255.0)
    if flatten:
        X = X.reshape(X.shape[0], -1)
    return tensor(X), tensor(labels.astype(np.int64))


def mnist(root=None, train=True, flatten=True, data=None):
    """MNIST from local IDX files in `root` (or root/MNIST/raw, torchvision's layout), raw or .gz.

    Returns X float32 in [0, 1], (N, 784) (or (N, 28, 28) with flatten=False), and y int64 (N,)."""
    return _load_pair(root if root is not None else data, train, [os.path.join("MNIST", "raw")], "mnist", flatten)


def fashion_mnist(root=None, train=True, flatten=True, data=None):
    """Fashion-MNIST, the same format and file names as MNIST (also looked for in root/FashionMNIST/raw)."""
    return _load_pair(root if root is not None else data, train, [os.path.join("FashionMNIST", "raw")],
                      "fashion_mnist", flatten)
