"""Anomaly detection: detect_anomaly() and set_detect_anomaly(), as in torch.autograd.

While on, every op records the Python stack of its forward call, and backward raises
RuntimeError("Function 'LogBackward0' returned nan values in its 0th output.") with that stack
when a node produces a NaN (or infinite) gradient. It slows every op down: use it to debug."""
import functools
import warnings

from .. import _C

is_anomaly_enabled = _C.is_anomaly_enabled
is_anomaly_check_nan_enabled = _C.is_anomaly_check_nan_enabled


class detect_anomaly:
    """Context manager and decorator that turns anomaly detection on for its extent."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._prev = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self._prev = (_C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled())
        _C._set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        _C._set_detect_anomaly(*self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Sets anomaly detection on or off now; as a context manager, restores the previous state on exit."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_C.is_anomaly_enabled(), _C.is_anomaly_check_nan_enabled())
        _C._set_detect_anomaly(bool(mode), bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_detect_anomaly(*self._prev)
        return False
