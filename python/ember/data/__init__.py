"""ember.data: the built-in datasets (generated 2-D sets, scikit-learn's digits, MNIST /
Fashion-MNIST from local IDX files), and for convenience the loading utilities of
ember.utils.data (Dataset, TensorDataset, DataLoader, ...), where they live."""
from ..random import Generator  # noqa: F401
from ..utils.data import ConcatDataset, DataLoader, Dataset, TensorDataset, default_collate  # noqa: F401
from .datasets import ALL_DATASETS, DATASETS, circles, load, moons, spirals  # noqa: F401
from .digits import digits  # noqa: F401
from .idx import fashion_mnist, mnist, parse_idx, read_idx  # noqa: F401
