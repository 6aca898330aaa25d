"""ember.utils.data, as torch.utils.data: datasets, samplers, DataLoader and collation, so that
`from torch.utils.data import DataLoader` runs unchanged as `from ember.utils.data import ...`."""
from .collate import default_collate, default_convert  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,  # noqa: F401
                      TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,  # noqa: F401
                      SubsetRandomSampler, WeightedRandomSampler)
from .workers import WorkerInfo, get_worker_info  # noqa: F401
