"""The named pairs that max/min along a dim return, like torch.return_types: they unpack as a
tuple and also have .values and .indices."""
from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
max.__module__ = min.__module__ = "ember.return_types"
