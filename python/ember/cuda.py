"""ember.cuda: the CUDA backend as PyTorch's torch.cuda shows it.

A build without CUDA, or a machine without a driver or a GPU, imports and runs on the CPU:
is_available() is False, device_count() is 0, and asking for a cuda tensor raises a RuntimeError
that says why (unavailable_reason()). Beyond torch.cuda's memory functions, ember counts the
host-device syncs and the bytes moved each way (sync_count, bytes_to_device, bytes_to_host):
the tests use them to show that a chain of device ops never waits for the device."""
from . import _C
from ._cuda_graphs import CUDAGraph, capture_training_step, graph, make_graphed_callables  # noqa: F401

# torch.cuda.OutOfMemoryError; the same class as ember.OutOfMemoryError (a RuntimeError and a MemoryError).
OutOfMemoryError = _C.OutOfMemoryError


def is_available():
    """True when ember was built with CUDA and a driver and a GPU are present."""
    return bool(_C._cuda_is_available())


def device_count():
    return int(_C._cuda_device_count())


def unavailable_reason():
    """Why no CUDA device can be used ("" when one can)."""
    return _C._cuda_unavailable_reason()


def is_built():
    """True when this build of ember has the CUDA backend compiled in."""
    return bool(_C._build_info()["cuda"])


def is_emulated():
    """True when this build's CUDA device is the emulated one (built with EMBER_CUDA=EMU): the CUDA
    backend's kernels and runtime calls run on the CPU, strictly (tools/cuda_emu/device.cpp)."""
    return bool(_C._build_info()["cuda_emulated"])


def _index(device):
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    dev = device if isinstance(device, _C.device) else _C.device(str(device))
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return dev.index


def set_device(device):
    _C._cuda_set_device(_index(device))


def current_device():
    return int(_C._cuda_current_device())


def synchronize(device=None):
    """Waits for all work queued on the device (counted as a sync)."""
    _C._cuda_synchronize(_index(device))


_NO_DEVICE_STATS = {"allocated_bytes.all.current": 0, "allocated_bytes.all.peak": 0, "reserved_bytes.all.current": 0,
                    "reserved_bytes.all.peak": 0, "num_device_alloc": 0, "num_device_free": 0,
                    "num_alloc_retries": 0, "num_ooms": 0}


def memory_stats(device=None):
    """What the device's caching allocator holds and has done, under torch.cuda.memory_stats's names:
    allocated_bytes.all.current/peak (live tensors), reserved_bytes.all.current/peak (held from
    the driver: live and cached blocks), num_device_alloc/num_device_free (driver calls),
    num_alloc_retries (out of memory, cache emptied, tried again) and num_ooms."""
    if not is_available():
        return dict(_NO_DEVICE_STATS)
    return dict(_C._cuda_memory_stats(_index(device)))


def memory_allocated(device=None):
    """Bytes of device memory held by live tensors."""
    return memory_stats(device)["allocated_bytes.all.current"]


def max_memory_allocated(device=None):
    return memory_stats(device)["allocated_bytes.all.peak"]


def memory_reserved(device=None):
    """Bytes ember's caching allocator holds from the driver (live tensors and cached blocks)."""
    return memory_stats(device)["reserved_bytes.all.current"]


def max_memory_reserved(device=None):
    return memory_stats(device)["reserved_bytes.all.peak"]


def reset_peak_memory_stats(device=None):
    if is_available():
        _C._cuda_reset_peak_memory(_index(device))


def empty_cache():
    """Gives the cached, unused blocks back to the driver: device blocks, and pinned host blocks
    that no queued copy still reads."""
    for i in range(device_count()):
        _C._cuda_empty_cache(i)
    if is_available():
        _C._cuda_empty_pinned_cache()


def is_current_stream_capturing():
    """True while a CUDA graph capture runs on the current device (torch.cuda's name)."""
    return is_available() and bool(_C._cuda_is_capturing(current_device()))


def transfer_stats():
    """{'syncs', 'bytes_to_device', 'bytes_to_host', 'kernel_launches', 'allocator_calls'} since the
    last reset_transfer_stats(): what the device work costs the host (an allocator call is a request
    to the driver for device or pinned memory, taken or given back)."""
    return dict(_C._cuda_transfer_stats())


def reset_transfer_stats():
    _C._cuda_reset_transfer_stats()


def sync_count():
    return transfer_stats()["syncs"]


def bytes_to_device():
    return transfer_stats()["bytes_to_device"]


def bytes_to_host():
    return transfer_stats()["bytes_to_host"]


def launch_count():
    return transfer_stats()["kernel_launches"]


def allocator_call_count():
    return transfer_stats()["allocator_calls"]


class _CudaDeviceProperties:
    """torch.cuda.get_device_properties' object: name, major, minor (the compute capability),
    total_memory (bytes), multi_processor_count, warp_size, max_threads_per_block and
    shared_memory_per_block (bytes)."""

    def __init__(self, props):
        self.__dict__.update(props)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    return _CudaDeviceProperties(_C._cuda_device_properties(_index(device)))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    p = get_device_properties(device)
    return p.major, p.minor


def memory_summary(device=None, abbreviated=False):
    """A readable table of the device's caching allocator (memory_stats) and of what device work
    has cost the host since the last reset_transfer_stats() (transfer_stats), as torch.cuda's
    memory_summary. `abbreviated` is accepted for torch's signature; the table is short anyway."""
    if not is_available():
        return f"ember.cuda.memory_summary: no CUDA device ({unavailable_reason()})\n"
    index = _index(device)
    s, t = memory_stats(index), transfer_stats()

    def mib(n):
        return f"{n / 2**20:10.2f} MiB"

    rows = [("live tensors (allocated)", mib(s["allocated_bytes.all.current"]), mib(s["allocated_bytes.all.peak"])),
            ("held from the driver (reserved)", mib(s["reserved_bytes.all.current"]), mib(s["reserved_bytes.all.peak"]))]
    lines = [f"ember CUDA memory summary, device {index} ({get_device_name(index)})",
             f"{'':34}{'current':>14}{'peak':>14}"]
    lines += [f"{name:34}{cur:>14}{peak:>14}" for name, cur, peak in rows]
    lines += [f"driver allocations {s['num_device_alloc']}, frees {s['num_device_free']}, "
              f"retries after out of memory {s['num_alloc_retries']}, out of memory {s['num_ooms']}",
              f"since reset_transfer_stats(): {t['kernel_launches']} kernel launches, {t['syncs']} syncs, "
              f"{t['bytes_to_device']} bytes to the device, {t['bytes_to_host']} to the host, "
              f"{t['allocator_calls']} allocator calls"]
    return "\n".join(lines) + "\n"
