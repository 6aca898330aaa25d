"""default_collate (a list of samples -> one batch) and default_convert (one sample's NumPy
arrays -> tensors, for batch_size=None), as torch.utils.data's."""
import builtins
import collections.abc

import numpy as np

from ... import _C
from ...factories import as_tensor, tensor
from ...tensor import Tensor


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


def default_convert(data):
    """NumPy arrays and scalars inside one sample become tensors; everything else is kept, and
    containers are converted field by field (a tuple gives a list, as in torch)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "OSUV":
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data
