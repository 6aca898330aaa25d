"""ember.data: built-in datasets (generated, seeded)."""
from .datasets import DATASETS, circles, load, moons, spirals  # noqa: F401
