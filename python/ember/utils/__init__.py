"""ember.utils: training utilities that sit above autograd, as torch.utils: checkpoint and data."""
from . import checkpoint, data  # noqa: F401
