"""DataLoader, as torch.utils.data's: batches of a dataset, drawn through a sampler, collated,
optionally loaded by worker threads and pinned.

Note [Fast path for TensorDataset]: when the dataset is a TensorDataset, no collate_fn is given
and the sampler knows its epoch's order (Note [Samplers that know their order]), a batch is one
native index_select per tensor with a slice of that order, instead of fetching each sample in
Python and stacking them; the result equals default_collate's. Other samplers over a
TensorDataset still gather each batch natively, from the indices the sampler gave.

Note [Batches of device-resident data]: when that TensorDataset's tensors live on a GPU, the
epoch's order (drawn on the host, so it is the same as on the CPU) is moved to the device once per
epoch; each batch's indices are then a slice of it on the device and the batch an index_select on
the device, so iterating moves nothing between host and device per batch.

Note [Workers are threads]: num_workers > 0 loads batches in that many threads of this process
(PyTorch uses processes), so a dataset whose __getitem__ waits on files or releases the GIL
overlaps with training. worker_init_fn, get_worker_info(), prefetch_factor, timeout and
persistent_workers mean what they mean in PyTorch; the workers share the global generator, and
multiprocessing_context is checked as torch checks it and otherwise unused.

Note [Arguments as torch checks them]: the checks run in torch 2.13's order and raise its exception
types and messages (tests/test_dataloader_args.py compares them), with three deliberate
differences, each an earlier or clearer form of an error torch raises anyway: a generator that is
not an ember.Generator is a TypeError when the DataLoader is made (torch raises its TypeError from
inside random_() at the first iteration); a num_workers or prefetch_factor that is not an integer
is the TypeError torch raises at the first iteration, raised at once; and prefetch_factor=0 with
workers is a ValueError at once where torch trips an AssertionError at the first iteration."""
import builtins
import math
import multiprocessing
import operator
import warnings

from ... import _C
from ...factories import tensor
from ...random import Generator
from ...tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .workers import iterable_batches_in_threads, map_batches_in_threads


class DataLoader:
    """Iterates over `dataset` in batches, with PyTorch's arguments and checks."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        operator.index(num_workers)  # Note [Arguments as torch checks them]
        if prefetch_factor is not None:
            operator.index(prefetch_factor)
            if num_workers > 0 and prefetch_factor == 0:
                raise ValueError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        self.num_workers = num_workers
        self.multiprocessing_context = multiprocessing_context
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be an ember.Generator or None, but got {type(generator).__name__}")

        if isinstance(dataset, IterableDataset):
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = builtins.bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        self._iterable = isinstance(dataset, IterableDataset)
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self._own_batch_sampler = batch_size is not None and batch_sampler is None
        if self._own_batch_sampler and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif self._own_batch_sampler:  # an iterable dataset is batched as it streams: check as BatchSampler does
            BatchSampler([], batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._user_collate = collate_fn is not None
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self._native_gather = isinstance(dataset, TensorDataset) and not self._user_collate and self._auto_collation
        self._workers = None  # the thread pool, kept between epochs when persistent_workers
        self._initialized = True

    def __setattr__(self, attr, val):
        if attr in _FIXED_AFTER_INIT and self.__dict__.get("_initialized", False):
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        """As torch's: a start method's name or a multiprocessing context, and only with workers."""
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self):
        return self.batch_size is not None or self.batch_sampler is not None

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if self.pin_memory and not _C._cuda_is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.")
        for batch in self._batches():
            yield _pinned(batch) if self.pin_memory and _C._cuda_is_available() else batch

    def _batches(self):
        if self._iterable:
            if self.num_workers:
                return iterable_batches_in_threads(self)
            return self._iterable_batches(self.dataset)
        order = self.sampler._order() if self._native_gather and self._own_batch_sampler and \
            hasattr(self.sampler, "_order") else None
        if order is not None:
            return self._slices_of(order)
        if self.num_workers:
            return map_batches_in_threads(self, iter(self.batch_sampler if self._auto_collation else self.sampler))
        return (self._fetch(i) for i in (self.batch_sampler if self._auto_collation else self.sampler))

    def _slices_of(self, order):  # Note [Fast path for TensorDataset]
        tensors = self.dataset.tensors
        if tensors[0].device.type != "cpu":
            order = order.to(tensors[0].device)  # Note [Batches of device-resident data]
        n = order.shape[0]
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            yield self._gather(order[start:min(start + self.batch_size, n)])

    def _gather(self, idx):
        # Tensors on other devices than the index (rare) get their own copy of it.
        return [t.index_select(0, idx if t.device == idx.device else idx.to(t.device)) for t in self.dataset.tensors]

    def _fetch(self, indices):
        """One batch (or one sample, without auto-collation) for what the sampler gave."""
        if not self._auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self._native_gather:
            return self._gather(tensor(list(indices), dtype=_C.dtype.int64))
        if hasattr(self.dataset, "__getitems__"):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[i] for i in indices])

    def _iterable_batches(self, stream):
        if not self._auto_collation:
            for sample in stream:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in stream:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __del__(self):
        workers = getattr(self, "_workers", None)  # absent when __init__ raised
        if workers is not None:
            workers.shutdown(wait=False)


_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _pinned(batch):
    """The batch with every CPU tensor in page-locked memory, containers kept as they are."""
    if isinstance(batch, Tensor):
        return batch.pin_memory() if batch.device.type == "cpu" else batch
    if isinstance(batch, dict):
        return {k: _pinned(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_pinned(v) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pinned(v) for v in batch)
    return batch
