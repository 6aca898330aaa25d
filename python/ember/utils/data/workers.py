"""The DataLoader's worker threads (Note [Workers are threads] in dataloader.py) and
get_worker_info(), as torch.utils.data's."""
import collections
import concurrent.futures
import itertools
import queue
import threading
from dataclasses import dataclass

from ...random import randint

_local = threading.local()


@dataclass(frozen=True)
class WorkerInfo:
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset); elsewhere None."""
    return getattr(_local, "info", None)


def _base_seed(loader):
    return int(randint(0, 2**62, (), generator=loader.generator).item())


def _start_worker(loader, worker_id, base_seed):
    _local.info = WorkerInfo(worker_id, loader.num_workers, base_seed + worker_id, loader.dataset)
    if loader.worker_init_fn is not None:
        loader.worker_init_fn(worker_id)


def _pool(loader):
    """The loader's thread pool: each thread gets a worker id and runs worker_init_fn once."""
    if loader._workers is not None:
        return loader._workers
    ids = itertools.count()
    lock = threading.Lock()
    base_seed = _base_seed(loader)

    def init():
        with lock:
            worker_id = next(ids)
        _start_worker(loader, worker_id, base_seed)

    pool = concurrent.futures.ThreadPoolExecutor(loader.num_workers, thread_name_prefix="ember-dataloader",
                                                 initializer=init)
    if loader.persistent_workers:
        loader._workers = pool
    return pool


def _result(future, timeout):
    try:
        return future.result(timeout=timeout or None)
    except concurrent.futures.TimeoutError:
        raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None


def map_batches_in_threads(loader, index_batches):
    """Fetches the batches for `index_batches` in the pool, up to prefetch_factor per worker in
    flight, and yields them in the sampler's order."""
    pool = _pool(loader)
    in_flight = collections.deque()
    limit = max(1, loader.prefetch_factor * loader.num_workers)
    finished = False
    try:
        for indices in index_batches:
            in_flight.append(pool.submit(loader._fetch, indices))
            if len(in_flight) >= limit:
                yield _result(in_flight.popleft(), loader.timeout)
        while in_flight:
            yield _result(in_flight.popleft(), loader.timeout)
        finished = True
    finally:
        if pool is not loader._workers:  # after an error or an early stop, don't wait for stragglers
            pool.shutdown(wait=finished, cancel_futures=True)


_DONE = object()


def iterable_batches_in_threads(loader):
    """Each worker thread streams its own iterator over the dataset (shard with get_worker_info(),
    as in PyTorch), batching as it goes; the batches are taken from the workers in turn."""
    stop = threading.Event()
    base_seed = _base_seed(loader)
    queues = [queue.Queue(maxsize=max(1, loader.prefetch_factor)) for _ in range(loader.num_workers)]

    def put(q, item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work(worker_id):
        q = queues[worker_id]
        try:
            _start_worker(loader, worker_id, base_seed)
            for batch in loader._iterable_batches(iter(loader.dataset)):
                if not put(q, (batch, None)):
                    return
        except BaseException as e:  # raised again in the main thread, as PyTorch re-raises a worker's error
            put(q, (None, e))
            return
        put(q, (_DONE, None))

    threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"ember-dataloader-{i}")
               for i in range(loader.num_workers)]
    for t in threads:
        t.start()
    live = list(range(loader.num_workers))
    try:
        while live:
            for worker_id in list(live):
                try:
                    batch, error = queues[worker_id].get(timeout=loader.timeout or None)
                except queue.Empty:
                    raise RuntimeError(f"DataLoader timed out after {loader.timeout} seconds") from None
                if error is not None:
                    raise error
                if batch is _DONE:
                    live.remove(worker_id)
                else:
                    yield batch
    finally:
        stop.set()
