"""ember.cuda: what the CUDA backend reports. Until the backend is built (see the README's table),
no CUDA device is available and asking for one raises a RuntimeError that says why."""
from . import _C


def is_available():
    """True when ember was built with CUDA and a driver and a GPU are present."""
    return bool(getattr(_C, "_cuda_is_available", lambda: False)())


def device_count():
    return int(getattr(_C, "_cuda_device_count", lambda: 0)())
