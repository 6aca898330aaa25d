"""no_grad, enable_grad, set_grad_enabled, inference_mode: thread-local switches of the native
grad mode, usable as context managers and as decorators (as in PyTorch)."""
import functools

from .. import _C


class _GradModeContext:
    _enabled = True

    def __new__(cls, *args, **kwargs):
        # `@no_grad` without parentheses decorates the function directly, as in PyTorch.
        if cls in (no_grad, enable_grad) and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Ops inside record no graph; their results do not require grad."""
    _enabled = False


class enable_grad(_GradModeContext):
    """Turns recording back on inside a no_grad region."""
    _enabled = True


class inference_mode(_GradModeContext):
    """Like no_grad (ember keeps no extra inference-only tensor state)."""

    def __new__(cls, mode=True):
        if callable(mode):  # `@inference_mode` without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self._enabled = not mode

    def __call__(self, fn):
        mode = not self._enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradModeContext):
    """Sets grad mode now (as a function call) and restores it when used as a context manager."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        self._enabled = bool(mode)
        _C._set_grad_enabled(self._enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        mode = self._enabled
        _C._set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
