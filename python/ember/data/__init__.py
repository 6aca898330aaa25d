"""ember.data: Dataset, TensorDataset, DataLoader, and built-in datasets (generated 2-D sets,
scikit-learn's digits, MNIST / Fashion-MNIST from local IDX files)."""
from .dataloader import DataLoader, Generator, default_collate  # noqa: F401
from .dataset import ConcatDataset, Dataset, TensorDataset  # noqa: F401
from .datasets import ALL_DATASETS, DATASETS, circles, load, moons, spirals  # noqa: F401
from .digits import digits  # noqa: F401
from .idx import fashion_mnist, mnist, parse_idx, read_idx  # noqa: F401
