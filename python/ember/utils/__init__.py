"""ember.utils: training utilities that sit above autograd (checkpoint, as torch.utils.checkpoint)."""
from . import checkpoint  # noqa: F401
