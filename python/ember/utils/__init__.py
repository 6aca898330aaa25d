"""ember.utils: training utilities that sit above autograd, as torch.utils: checkpoint and data."""
from . import checkpoint, data, dlpack  # noqa: F401
