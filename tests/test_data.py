"""ember.data: DataLoader batching, shuffling and determinism, default_collate vs torch's, the
digits set, and the IDX reader on small files written here (raw and gzipped) and broken ones."""
import gzip
import importlib.util

import numpy as np
import pytest
from conftest import torch

import ember
from ember.data import DataLoader, Dataset, TensorDataset, default_collate


def _dataset(n=10):
    X = ember.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = ember.arange(n)
    return TensorDataset(X, y)


def test_tensor_dataset_items_and_errors():
    ds = _dataset()
    assert len(ds) == 10
    x, y = ds[4]
    assert x.tolist() == [12.0, 13.0, 14.0] and y.item() == 4
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(ember.zeros(3, 2), ember.zeros(4))


@pytest.mark.parametrize("batch_size,drop_last,expected", [(3, False, [3, 3, 3, 1]), (3, True, [3, 3, 3]),
                                                           (5, False, [5, 5]), (20, False, [10]), (20, True, [])])
def test_batching_in_order(batch_size, drop_last, expected):
    loader = DataLoader(_dataset(), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(expected) == len(batches)
    assert [b[1].shape[0] for b in batches] == expected
    seen = [v for b in batches for v in b[1].tolist()]
    assert seen == list(range(sum(expected)))
    for X, y in batches:
        assert X.shape == (y.shape[0], 3) and X.dtype == ember.float32 and y.dtype == ember.int64
        np.testing.assert_array_equal(X.numpy(), 3 * y.numpy()[:, None] + np.arange(3))


def test_fast_path_equals_default_collate_like_torch():
    ds = _dataset()
    fast = list(DataLoader(ds, batch_size=4))
    slow = list(DataLoader(ds, batch_size=4, collate_fn=default_collate))
    tds = torch.utils.data.TensorDataset(torch.arange(30, dtype=torch.float32).reshape(10, 3), torch.arange(10))
    ref = list(torch.utils.data.DataLoader(tds, batch_size=4))
    assert len(fast) == len(slow) == len(ref)
    for f, s, r in zip(fast, slow, ref):
        assert type(f) is type(s) is type(r) is list
        for a, b, c in zip(f, s, r):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_shuffle_is_a_permutation_and_seeded():
    ds = _dataset(50)
    ember.manual_seed(7)
    first = [v for _, y in DataLoader(ds, batch_size=8, shuffle=True) for v in y.tolist()]
    second = [v for _, y in DataLoader(ds, batch_size=8, shuffle=True) for v in y.tolist()]
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert first != second  # the global generator moved on
    ember.manual_seed(7)
    assert [v for _, y in DataLoader(ds, batch_size=8, shuffle=True) for v in y.tolist()] == first


def test_generator_gives_its_own_reproducible_order():
    ds = _dataset(40)
    order = lambda loader: [v for _, y in loader for v in y.tolist()]  # noqa: E731
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(3))
    epoch1, epoch2 = order(loader), order(loader)
    assert sorted(epoch1) == sorted(epoch2) == list(range(40)) and epoch1 != epoch2
    ember.manual_seed(123)  # the global seed does not affect a loader with its own generator
    again = DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(3))
    assert order(again) == epoch1 and order(again) == epoch2
    other = DataLoader(ds, batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(4))
    assert order(other) != epoch1
    ds_rows = [X for X, _ in DataLoader(ds, batch_size=40, shuffle=True, generator=ember.Generator().manual_seed(3))]
    np.testing.assert_array_equal(ds_rows[0].numpy()[:, 0], 3 * np.array(epoch1))


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": ember.tensor([float(i), float(i * i)]), "n": i, "w": i / 2, "flag": i % 2 == 0}, (i, "s")


def test_default_collate_matches_torch_on_mixed_samples():
    batch = next(iter(DataLoader(Squares(), batch_size=4)))
    d, (ints, strs) = batch
    assert d["x"].shape == (4, 2) and d["x"].dtype == ember.float32
    assert d["n"].dtype == ember.int64 and d["n"].tolist() == [0, 1, 2, 3]
    assert d["w"].dtype == ember.float64 and d["w"].tolist() == [0.0, 0.5, 1.0, 1.5]
    assert d["flag"].dtype == ember.bool and d["flag"].tolist() == [True, False, True, False]
    assert ints.tolist() == [0, 1, 2, 3] and strs == ["s"] * 4
    ref = torch.utils.data.default_collate([({"n": i, "w": i / 2, "flag": i % 2 == 0}, (i, "s")) for i in range(4)])
    assert type(ref[1]) is type(batch[1]) is list
    assert ref[0]["w"].dtype == torch.float64 and ref[0]["flag"].dtype == torch.bool
    arrays = default_collate([np.ones(2, dtype=np.float32), np.zeros(2, dtype=np.float32)])
    assert arrays.shape == (2, 2) and arrays.dtype == ember.float32


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(_dataset(), batch_size=0)
    assert DataLoader(_dataset(), shuffle=1).sampler.__class__.__name__ == "RandomSampler"  # bool(shuffle), as torch
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object()])


@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="needs scikit-learn")
def test_digits():
    X, y = ember.data.digits()
    assert X.shape == (1797, 64) and X.dtype == ember.float32 and y.shape == (1797,) and y.dtype == ember.int64
    assert X.min().item() == 0.0 and X.max().item() == 1.0 and sorted(set(y.tolist())) == list(range(10))
    X2, y2 = ember.data.load("digits")
    assert (X2 == X).all().item() and (y2 == y).all().item()


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        ember.data.digits()


# ---- IDX files

def _idx_bytes(arr, code=0x08):
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder, n, train=True, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    prefix = "train" if train else "t10k"
    for stem, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = _idx_bytes(arr)
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_raw_and_gzipped_files(tmp_path, gz):
    images, labels = _write_mnist(tmp_path, 5, gz=gz)
    t_images, t_labels = _write_mnist(tmp_path, 3, train=False, gz=gz, seed=1)
    X, y = ember.data.mnist(tmp_path)
    assert X.shape == (5, 784) and X.dtype == ember.float32 and y.dtype == ember.int64
    np.testing.assert_allclose(X.numpy(), images.reshape(5, -1) / 255.0, rtol=1e-6)
    assert y.tolist() == labels.tolist()
    Xt, yt = ember.data.load("mnist", data=str(tmp_path), train=False)
    assert Xt.shape == (3, 784) and yt.tolist() == t_labels.tolist()
    X3, _ = ember.data.mnist(tmp_path, flatten=False)
    assert X3.shape == (5, 28, 28)


def test_fashion_mnist_in_torchvision_layout(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = _write_mnist(raw, 4, gz=True)
    _, y = ember.data.fashion_mnist(tmp_path)
    assert y.tolist() == labels.tolist()


@pytest.mark.parametrize("code,dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                        (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_every_element_type(tmp_path, code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if code != 0x08 else np.arange(24, dtype=np.uint8)
    path = tmp_path / "a.idx"
    path.write_bytes(_idx_bytes(arr, code))
    np.testing.assert_array_equal(ember.data.read_idx(path), arr)


def test_broken_idx_files_are_clean_value_errors(tmp_path):
    good = _idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    cases = {"truncated": good[:-1], "trailing bytes": good + b"\0", "shorter than the 4-byte magic": good[:3],
             "not an IDX file": b"\x01\x02" + good[2:], "unknown IDX element type 0x07": good[:2] + b"\x07" + good[3:],
             "truncated IDX header": good[:6]}
    for msg, data in cases.items():
        with pytest.raises(ValueError, match=msg):
            ember.data.parse_idx(data)
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"not really gzip" * 3)
    with pytest.raises(ValueError, match="not a readable gzip file"):
        ember.data.read_idx(garbage)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError):
        ember.data.read_idx(cut)


def test_mnist_checks_magic_numbers_counts_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="looked for: .*train-images-idx3-ubyte.*does not download"):
        ember.data.mnist(tmp_path)
    with pytest.raises(ValueError, match="needs the folder"):
        ember.data.load("mnist")
    _write_mnist(tmp_path, 4)
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(_idx_bytes(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(ValueError, match="4 images but 5 labels"):
        ember.data.mnist(tmp_path)
    labels.write_bytes(_idx_bytes(np.zeros((4, 1), dtype=np.uint8)))
    with pytest.raises(ValueError, match="is not 00000801, expected for a label file"):
        ember.data.mnist(tmp_path)


def test_load_knows_every_dataset():
    assert {"spirals", "moons", "circles", "digits", "mnist", "fashion_mnist"} <= set(ember.data.ALL_DATASETS)
    with pytest.raises(ValueError, match="unknown dataset 'nope'; choose one of .*digits.*mnist"):
        ember.data.load("nope")
