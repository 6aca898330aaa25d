"""ember.Size, as torch.Size: the type of Tensor.shape and Tensor.size(), a tuple of ints that
also knows its number of elements and prints as ember.Size([2, 3])."""
import math

from . import _C


class Size(tuple):
    __slots__ = ()
    __module__ = "ember"

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for s in sizes:
            if not isinstance(s, int) and not hasattr(s, "__index__"):
                raise TypeError(f"ember.Size() takes an iterable of 'int' (item {len(sizes)} is "
                                f"'{type(s).__name__}')")
        return super().__new__(cls, (int(s) if not isinstance(s, int) else s for s in sizes))

    def numel(self):
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def __reduce__(self):
        return (Size, (tuple(self),))


_C._set_size_class(Size)
