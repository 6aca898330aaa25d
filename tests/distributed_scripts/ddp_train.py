"""Rank script: DDP training and its options on every rank; results to OUT_DIR for the pytest
side (tests/test_distributed_ddp.py), which computes the single-process references."""
import datetime
import sys

import ember
import ember.distributed as dist
from ember import nn, optim
from ember.nn.parallel import DistributedDataParallel as DDP

from common import CLASSES, HIDDEN, IN, global_batch, grads, mlp, shard, weights, write

out_dir = sys.argv[1]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
rank, world = dist.get_rank(), dist.get_world_size()
arrays, info = {}, {}


def train(bucket_cap_mb, steps=20):
    # Different initial weights per rank: DDP must broadcast rank 0's.
    ddp = DDP(mlp(seed=rank), bucket_cap_mb=bucket_cap_mb)
    opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(steps):
        x, y = global_batch(step, world)
        opt.zero_grad()
        loss_fn(ddp(shard(x, rank)), shard(y, rank)).backward()
        opt.step()
    return ddp


small = train(bucket_cap_mb=0.0002)  # 3 buckets of ~200 bytes: many buckets, launched in order
info["buckets_small"] = len(small.reducer.buckets)
info["buckets_default"] = len(train(bucket_cap_mb=None, steps=1).reducer.buckets)
arrays.update({f"train/{k}": v for k, v in weights(small.module).items()})
info["state_dict_keys"] = list(small.state_dict().keys())
if rank == 0:
    ember.save(small.module.state_dict(), f"{out_dir}/checkpoint.safetensors")

# no_sync: two local micro-batches, then a synced one: the average over ranks of the sums.
acc = DDP(mlp(seed=0))
loss_fn = nn.CrossEntropyLoss()
for micro in range(3):
    x, y = global_batch(100 + micro, world)
    if micro < 2:
        with acc.no_sync():
            loss_fn(acc(shard(x, rank)), shard(y, rank)).backward()
        if micro == 0:
            arrays.update({f"nosync_local/{k}": v for k, v in grads(acc.module).items()})
    else:
        loss_fn(acc(shard(x, rank)), shard(y, rank)).backward()
arrays.update({f"nosync/{k}": v for k, v in grads(acc.module).items()})


class Branchy(nn.Module):
    """`never` is never used; `rank0_only` only on rank 0."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(IN, HIDDEN)
        self.head = nn.Linear(HIDDEN, CLASSES)
        self.rank0_only = nn.Linear(HIDDEN, CLASSES)
        self.never = nn.Linear(HIDDEN, CLASSES)

    def forward(self, x):
        h = self.body(x).relu()
        out = self.head(h)
        return out + self.rank0_only(h) if dist.get_rank() == 0 else out


ember.manual_seed(0)
branchy = DDP(Branchy(), find_unused_parameters=True)
x, y = global_batch(200, world)
loss_fn(branchy(shard(x, rank)), shard(y, rank)).backward()
arrays.update({f"unused/{k}": v for k, v in grads(branchy.module).items()})
info["unused_never_grad_is_none"] = branchy.module.never.weight.grad is None

# Without find_unused_parameters the next forward names the parameters that got no gradient.
ember.manual_seed(0)
strict = DDP(Branchy())
loss_fn(strict(shard(x, rank)), shard(y, rank)).backward()
try:
    strict(shard(x, rank))
    info["strict_error"] = None
except RuntimeError as e:
    info["strict_error"] = str(e)

# broadcast_buffers: BatchNorm's running statistics follow rank 0 before each forward.
ember.manual_seed(0)
bn = DDP(nn.Sequential(nn.Linear(IN, 4), nn.BatchNorm1d(4)))
with ember.no_grad():
    bn.module[1].running_mean.fill_(float(rank + 1))
bn(shard(x, rank))
arrays["bn_running_mean_after"] = bn.module[1].running_mean.numpy().copy()
info["bn_momentum"] = bn.module[1].momentum

write(out_dir, rank, arrays, info)
dist.destroy_process_group()
