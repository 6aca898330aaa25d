"""Random numbers, as torch's: the random factories with `generator=`, ember.Generator and the
global seed. Every generator draws from ember's counter-based stream (Note [Counter-based
generator], csrc/kernels/random_bits.h), so a seed gives the same numbers on the CPU and a GPU."""
import builtins

from . import _C
from .factories import _device, _finish, _size

Generator = _C.Generator
default_generator = _C.default_generator


def _check_generator(name, generator):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"[{name}] generator must be an ember.Generator or None, not {type(generator).__name__}")
    return generator


def manual_seed(seed):
    """Seeds the default generator (every device shares it) and returns it, as torch.manual_seed."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Seeds the default generator with a nondeterministic seed and returns that seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _random_factory(native, name, doc):
    def factory(*size, generator=None, dtype=None, device=None, requires_grad=False):
        t = native(_size(name, size), dtype if dtype is not None else _C._get_default_dtype(), _device(device),
                   _check_generator(name, generator))
        return _finish(t, requires_grad)
    factory.__name__ = name
    factory.__doc__ = f"{name}(*size, generator=None, dtype=None, device=None, requires_grad=False): {doc}"
    return factory


rand = _random_factory(_C._rand, "rand", "uniform in [0, 1)")
randn = _random_factory(_C._randn, "randn", "standard normal")


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return randn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """randint(high, size) or randint(low, high, size): integers uniform in [low, high)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("[randint] missing the size argument")
    t = _C._randint(low, high, _size("randint", (size,)), dtype or _C.dtype.int64, _device(device),
                    _check_generator("randint", generator))
    return _finish(t, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64 unless dtype says otherwise)."""
    if isinstance(n, builtins.bool) or not isinstance(n, int):
        raise TypeError(f"[randperm] n must be an int, got {type(n).__name__}")
    t = _C._randperm(n, _device(device), _check_generator("randperm", generator))
    if dtype is not None and dtype != t.dtype:
        t = t._to_dtype(dtype)
    return _finish(t, requires_grad)
