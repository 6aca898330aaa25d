"""Flatten: a view over dims [start_dim, end_dim] (batch dim kept by default); Unflatten: the
inverse, one dim viewed as several (as torch.nn.Flatten / torch.nn.Unflatten)."""
import math

from .module import Module


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Views dim `dim` of the input as `unflattened_size` (a tuple or list of ints; one may be -1)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for i, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {i}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def unflatten(input, dim, sizes):
    """Tensor.unflatten's checks and messages (ember's Tensor has no unflatten yet); the result is a
    view, as splitting one dim always can be."""
    if input.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim_size = input.size(dim)  # raises PyTorch's IndexError for a dim out of range
    dim %= input.dim()
    sizes = list(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    for i, s in enumerate(sizes):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {sizes}")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes and known == 0 and dim_size == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {sizes} because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    fits = dim_size % known == 0 if -1 in sizes and known != 0 else known == dim_size
    if not fits:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({dim_size}) in the input tensor")
    shape = list(input.shape)
    return input.view(shape[:dim] + sizes + shape[dim + 1:])
