"""Rank script: the nccl backend on CUDA tensors (the emulated device in CI, a GPU per rank on a
real machine): every collective it runs and send/recv, sync and async, then CPU tensors on the same
group (they go over MPI), a sub-group, and DDP on the device against one process on the whole
batch. Results go to OUT_DIR for tests/test_distributed_nccl.py, which computes the references."""
import sys

import numpy as np

import ember
import ember.distributed as dist
from common import global_batch, mlp, sample, shard, weights, write

out_dir = sys.argv[1]
dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
ember.cuda.set_device(rank % ember.cuda.device_count())
arrays, info = {}, {"backend": dist.get_backend(), "nccl_available": dist.is_nccl_available()}
seed = 0


def t(dtype, shape=(3, 4)):
    global seed
    seed += 1
    return ember.tensor(sample(rank, dtype, seed, shape)).cuda(), seed


for dtype, ops in {"float32": ["SUM", "AVG", "PRODUCT", "MIN", "MAX"], "float64": ["SUM", "AVG", "MAX"],
                   "int64": ["SUM", "PRODUCT", "MIN", "MAX"], "int32": ["SUM"], "bool": ["SUM", "MIN"]}.items():
    for op in ops:
        for mode in ("sync", "async"):
            x, s = t(dtype)
            work = dist.all_reduce(x, op=getattr(dist.ReduceOp, op), async_op=mode == "async")
            if work is not None:
                work.wait()
            assert x.is_cuda
            arrays[f"all_reduce/{op}/{dtype}/{mode}/{s}"] = x.cpu().numpy()

for dtype in ("float32", "int64"):
    x, s = t(dtype)
    dist.broadcast(x, src=world - 1)
    arrays[f"broadcast/{dtype}/{s}"] = x.cpu().numpy()
    x, s = t(dtype)
    outs = [ember.zeros(3, 4, dtype=x.dtype, device="cuda") for _ in range(world)]
    dist.all_gather(outs, x)
    arrays[f"all_gather/{dtype}/{s}"] = np.stack([o.cpu().numpy() for o in outs])
    x, s = t(dtype)
    cat = ember.zeros(world * 3, 4, dtype=x.dtype, device="cuda")
    dist.all_gather_into_tensor(cat, x, async_op=True).wait()
    arrays[f"all_gather_into_tensor/{dtype}/{s}"] = cat.cpu().numpy()
    x, s = t(dtype, (world * 3, 4))
    out = ember.zeros(3, 4, dtype=x.dtype, device="cuda")
    dist.reduce_scatter_tensor(out, x)
    arrays[f"reduce_scatter_tensor/SUM/{dtype}/{s}"] = out.cpu().numpy()

for dtype in ("float32", "int64"):  # reduce, gather, scatter: rooted, at the last rank
    x, s = t(dtype)
    before = x.cpu().numpy()
    dist.reduce(x, dst=world - 1, op=dist.ReduceOp.MAX)
    arrays[f"reduce/MAX/{dtype}/{s}"] = x.cpu().numpy() if rank == world - 1 else before
    info[f"reduce_untouched_{dtype}"] = rank == world - 1 or bool((x.cpu().numpy() == before).all())
    x, s = t(dtype)
    outs = [ember.zeros(3, 4, dtype=x.dtype, device="cuda") for _ in range(world)] if rank == world - 1 else None
    dist.gather(x, outs, dst=world - 1)
    if rank == world - 1:
        arrays[f"gather/{dtype}/{s}"] = np.stack([o.cpu().numpy() for o in outs])
    seed += 1
    rows = ember.tensor(sample(0, dtype, seed, (world, 3, 4))).cuda()
    got = ember.zeros(3, 4, dtype=rows.dtype, device="cuda")
    dist.scatter(got, list(rows.unbind(0)) if rank == 0 else None, src=0, async_op=True).wait()
    arrays[f"scatter/{dtype}/{seed}"] = got.cpu().numpy()

x, s = t("float64")  # a ring: rank r sends to r+1 and receives from r-1
got = ember.zeros(3, 4, dtype=ember.float64, device="cuda")
if rank % 2 == 0:
    dist.send(x, dst=(rank + 1) % world)
    info["recv_from"] = dist.recv(got, src=(rank - 1) % world)
else:
    info["recv_from"] = dist.recv(got, src=(rank - 1) % world)
    dist.send(x, dst=(rank + 1) % world)
arrays[f"ring/{s}"] = got.cpu().numpy()

cpu = ember.tensor([float(rank + 1)])  # a CPU tensor on the nccl group: over MPI
dist.all_reduce(cpu)
info["cpu_sum"] = cpu.item()
dist.barrier()
evens = dist.new_group([r for r in range(world) if r % 2 == 0])
x, s = t("float32")
dist.all_reduce(x, group=evens)
arrays[f"group_evens_all_reduce/{s}"] = x.cpu().numpy()
info["evens_backend"] = dist.get_backend(evens) if rank % 2 == 0 else None

# DDP on the device: 5 steps of SGD, gradients all-reduced through NCCL during backward.
model = mlp(seed=rank).cuda()  # different per rank: DDP broadcasts rank 0's at wrap time
ddp = ember.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.001)
opt = ember.optim.SGD(ddp.parameters(), lr=0.1)
for step in range(5):
    x, y = global_batch(step, world)
    loss = ember.nn.functional.cross_entropy(ddp(shard(x, rank).cuda()), shard(y, rank).cuda())
    opt.zero_grad()
    loss.backward()
    opt.step()
for k, v in weights(model.cpu()).items():
    arrays[f"ddp/{k}"] = v
write(out_dir, rank, arrays, info)
dist.destroy_process_group()
