"""ember.nn.parallel, as torch.nn.parallel: DistributedDataParallel over ember.distributed."""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]
