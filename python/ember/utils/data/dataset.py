"""Dataset (indexable collections of samples) and TensorDataset, as torch.utils.data's."""
from .. import _C

Tensor = _C.Tensor


class Dataset:
    """A map-style dataset: subclasses give __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension: dataset[i] = (t[i] for t in tensors).

    A DataLoader over a TensorDataset gathers each batch natively (index_select per tensor)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes ember tensors, got {type(t).__name__}")
            if t.dim() == 0:
                raise ValueError("TensorDataset tensors need a first (sample) dimension, got a 0-d tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError("Size mismatch between tensors: first dimensions are "
                             + ", ".join(str(t.shape[0]) for t in tensors))
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise IndexError("absolute value of index should not exceed dataset length")
            index += len(self)
        for i, end in enumerate(self.cumulative_sizes):
            if index < end:
                start = self.cumulative_sizes[i - 1] if i else 0
                return self.datasets[i][index - start]
        raise IndexError(f"index {index} is out of range for a dataset of {len(self)} samples")
