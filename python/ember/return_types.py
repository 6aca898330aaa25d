"""The named pairs that max/min/sort/topk/kthvalue/median along a dim return, like
torch.return_types: they unpack as a tuple and also have .values and .indices."""
from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])
kthvalue = namedtuple("kthvalue", ["values", "indices"])
median = namedtuple("median", ["values", "indices"])
for _t in (max, min, sort, topk, kthvalue, median):
    _t.__module__ = "ember.return_types"
del _t
