"""ember.finfo and ember.iinfo, as torch's: the numerical limits of a floating or integer dtype."""
import numpy as np

from . import _C

_FLOATS = {_C.dtype.float32: np.float32, _C.dtype.float64: np.float64}
_INTS = {_C.dtype.int64: np.int64, _C.dtype.int32: np.int32}


class finfo:  # noqa: N801  (torch's name)
    """bits, eps, max, min, tiny (= smallest_normal) and resolution of a floating dtype."""

    def __init__(self, type=None):  # noqa: A002  (torch's keyword)
        type = _C._get_default_dtype() if type is None else type
        if type not in _FLOATS:
            raise TypeError(f"finfo(): expected a floating point dtype, got {type}")
        info = np.finfo(_FLOATS[type])
        self.dtype = str(type).replace("ember.", "")
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # a Python float, as torch reports it

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801
    """bits, max and min of an integer dtype."""

    def __init__(self, type):  # noqa: A002
        if type not in _INTS:
            raise TypeError(f"iinfo(): expected an integer dtype, got {type}")
        info = np.iinfo(_INTS[type])
        self.dtype = str(type).replace("ember.", "")
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
