"""Rank script: every collective and point-to-point op, sync and async, on the inputs
common.sample makes; the outputs go to OUT_DIR for tests/test_distributed_collectives.py, which
computes the NumPy references."""
import sys

import numpy as np

import ember
import ember.distributed as dist
from common import REDUCE_OPS, sample, write

out_dir = sys.argv[1]
dist.init_process_group()  # backend None: mpi
rank, world = dist.get_rank(), dist.get_world_size()
arrays, info = {}, {"rank": rank, "world": world, "backend": dist.get_backend()}
seed = 0


def t(dtype, shape=(3, 4)):
    global seed
    seed += 1
    return ember.tensor(sample(rank, dtype, seed, shape)), seed


def run(key, async_op, launch):
    work = launch(async_op)
    if async_op:
        assert isinstance(work, dist.Work), work
        work.wait()
        assert work.is_completed()
    else:
        assert work is None


for dtype, ops in REDUCE_OPS.items():
    for op in ops:
        for mode in ("sync", "async"):
            x, s = t(dtype)
            run(None, mode == "async", lambda a: dist.all_reduce(x, op=getattr(dist.ReduceOp, op), async_op=a))
            arrays[f"all_reduce/{op}/{dtype}/{mode}/{s}"] = x.numpy()

for dtype in ("float32", "float64", "int64"):
    for mode in ("sync", "async"):
        a = mode == "async"
        x, s = t(dtype)
        run(None, a, lambda a: dist.broadcast(x, src=world - 1, async_op=a))
        arrays[f"broadcast/{dtype}/{mode}/{s}"] = x.numpy()
        x, s = t(dtype)
        outs = [ember.zeros(3, 4, dtype=x.dtype) for _ in range(world)]
        run(None, a, lambda a: dist.all_gather(outs, x, async_op=a))
        arrays[f"all_gather/{dtype}/{mode}/{s}"] = np.stack([o.numpy() for o in outs])
        x, s = t(dtype)
        cat = ember.zeros(world * 3, 4, dtype=x.dtype)
        run(None, a, lambda a: dist.all_gather_into_tensor(cat, x, async_op=a))
        arrays[f"all_gather_into_tensor/{dtype}/{mode}/{s}"] = cat.numpy()
        x, s = t(dtype, (world * 3, 4))
        out = ember.zeros(3, 4, dtype=x.dtype)
        run(None, a, lambda a: dist.reduce_scatter_tensor(out, x, async_op=a))
        arrays[f"reduce_scatter_tensor/SUM/{dtype}/{mode}/{s}"] = out.numpy()
        x, s = t(dtype)
        run(None, a, lambda a: dist.reduce(x, dst=world - 1, op=dist.ReduceOp.MAX, async_op=a))
        if rank == world - 1:
            arrays[f"reduce/MAX/{dtype}/{mode}/{s}"] = x.numpy()
        x, s = t(dtype)
        lst = [ember.zeros(3, 4, dtype=x.dtype) for _ in range(world)] if rank == 0 else None
        run(None, a, lambda a: dist.gather(x, lst, dst=0, async_op=a))
        if rank == 0:
            arrays[f"gather/{dtype}/{mode}/{s}"] = np.stack([o.numpy() for o in lst])
        x, s = t(dtype, (world, 3, 4))  # rank 0 scatters its rows
        out = ember.zeros(3, 4, dtype=x.dtype)
        run(None, a, lambda a: dist.scatter(out, list(x.unbind(0)) if rank == 0 else None, src=0, async_op=a))
        arrays[f"scatter/{dtype}/{mode}/{s}"] = out.numpy()

x, s = t("float32", (world * 3, 4))
stacked = ember.zeros(world, 3, 4)
dist.all_gather_into_tensor(stacked, x[:3].contiguous())
dist.reduce_scatter_tensor(out := ember.zeros(3, 4), x, op=dist.ReduceOp.AVG)
arrays[f"reduce_scatter_tensor/AVG/float32/sync/{s}"] = out.numpy()
arrays[f"all_gather_into_tensor_stacked/float32/sync/{s}"] = stacked.numpy()

# 0-d and empty tensors
z = ember.tensor(float(rank + 1))
dist.all_reduce(z)
info["zero_dim_sum"] = z.item()
e = ember.zeros(0, 3)
dist.all_reduce(e)
info["empty_shape"] = list(e.shape)

# point to point: a ring (each rank sends to the next, receives from the previous), with tags
x, s = t("float64")
got = ember.zeros(3, 4, dtype=ember.float64)
send = dist.isend(x, dst=(rank + 1) % world, tag=3)
recv = dist.irecv(got, src=(rank - 1) % world, tag=3)
recv.wait()
send.wait()
arrays[f"ring/float64/{s}"] = got.numpy()
if rank == 0:
    senders = []
    for _ in range(world - 1):
        y = ember.zeros(2, dtype=ember.int64)
        senders.append(dist.recv(y, tag=9))  # from any rank: recv says who sent it
        arrays[f"from_any/{senders[-1]}"] = y.numpy()
    info["senders"] = sorted(senders)
else:
    dist.send(ember.tensor([rank, 10 * rank]), dst=0, tag=9)

# sub-groups: the even ranks, and everyone but rank 0
evens = dist.new_group([r for r in range(world) if r % 2 == 0])
rest = dist.new_group(list(range(1, world)))
info["evens_rank"], info["evens_size"] = dist.get_rank(evens), dist.get_world_size(evens)
info["rest_rank"] = dist.get_rank(rest)
x, s = t("float32")
info["evens_returned"] = repr(dist.all_reduce(x, group=evens))
arrays[f"group_evens_all_reduce/float32/{s}"] = x.numpy()
x, s = t("int64")
w = dist.broadcast(x, src=world - 1, group=rest, async_op=True)
if w is not None:
    w.wait()
arrays[f"group_rest_broadcast/int64/{s}"] = x.numpy()
dist.barrier(group=rest)
dist.barrier()

# A collective writes its tensor in place: autograd must see a tensor it saved change.
leaf = ember.ones(3, requires_grad=True)
y = leaf * 2
z = (y * y).sum()  # saves y
dist.all_reduce(y.detach())
try:
    z.backward()
    info["inplace_detected"] = False
except RuntimeError as e:
    info["inplace_detected"] = "modified by an inplace operation" in str(e)
dist.destroy_process_group(rest)
info["initialized_after_destroy"] = [dist.is_initialized()]
dist.destroy_process_group()
info["initialized_after_destroy"].append(dist.is_initialized())
write(out_dir, rank, arrays, info)
