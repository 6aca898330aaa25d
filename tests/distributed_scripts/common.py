"""Shared by the rank scripts (run under mpiexec) and the pytest files that check them: the
models and data both sides build, and how results are written and read back."""
import json
import os

import numpy as np

import ember
from ember import nn

IN, HIDDEN, CLASSES, PER_RANK = 8, 16, 3, 6


def mlp(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
                         nn.Linear(HIDDEN, CLASSES))


def global_batch(step, world, per_rank=PER_RANK):
    """The step's whole batch (world * per_rank rows): rank r trains on rows r*per_rank..."""
    rng = np.random.default_rng(1000 + step)
    x = rng.standard_normal((world * per_rank, IN)).astype(np.float32)
    y = rng.integers(0, CLASSES, world * per_rank)
    return ember.tensor(x), ember.tensor(y)


def shard(t, rank, per_rank=PER_RANK):
    return t[rank * per_rank:(rank + 1) * per_rank]


def weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def grads(model):
    return {n: (None if p.grad is None else p.grad.numpy().copy()) for n, p in model.named_parameters()}


def write(out_dir, rank, arrays, info):
    np.savez(os.path.join(out_dir, f"rank{rank}.npz"), **{k: v for k, v in arrays.items() if v is not None})
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(info, f)


def read(out_dir, rank):
    with open(os.path.join(out_dir, f"rank{rank}.json")) as f:
        info = json.load(f)
    with np.load(os.path.join(out_dir, f"rank{rank}.npz")) as z:
        return {k: z[k] for k in z.files}, info


def sample(rank, dtype, seed, shape=(3, 4)):
    """Rank `rank`'s input to collective case `seed`, as a NumPy array (both sides make it)."""
    rng = np.random.default_rng(seed * 10 + rank)
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype in ("int64", "int32"):
        return rng.integers(-5, 6, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


REDUCE_OPS = {"float32": ["SUM", "AVG", "PRODUCT", "MIN", "MAX"], "float64": ["SUM", "AVG", "PRODUCT", "MIN", "MAX"],
              "int64": ["SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"], "int32": ["SUM", "MAX"],
              "bool": ["SUM", "MIN"]}
