"""Rank script: the nccl backend in a world of one rank, which any machine with one GPU can run
(real NCCL refuses two ranks on one GPU): every collective must give back what it was given, and a
DDP step must equal a plain step. Asserts here; a failure exits nonzero."""
import numpy as np

import ember
import ember.distributed as dist
from common import global_batch, mlp, weights

dist.init_process_group("nccl")
assert dist.get_world_size() == 1 and dist.get_backend() == "nccl"
x = ember.randn(5, 3, device="cuda")
want = x.cpu().numpy()
for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX):
    y = x.clone()
    dist.all_reduce(y, op=op)
    np.testing.assert_array_equal(y.cpu().numpy(), want)
y = x.clone()
dist.broadcast(y, src=0)
out = ember.zeros(5, 3, device="cuda")
dist.all_gather_into_tensor(out, x)
np.testing.assert_array_equal(out.cpu().numpy(), want)
dist.reduce_scatter_tensor(out, x)
np.testing.assert_array_equal(out.cpu().numpy(), want)

model, plain = mlp(seed=0).cuda(), mlp(seed=0).cuda()
ddp = ember.nn.parallel.DistributedDataParallel(model)
xb, yb = global_batch(0, 1)
for m in (ddp, plain):
    ember.nn.functional.cross_entropy(m(xb.cuda()), yb.cuda()).backward()
for (name, p), q in zip(model.named_parameters(), plain.parameters()):
    np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.cpu().numpy(), rtol=1e-6, err_msg=name)
assert weights(model.cpu()).keys() == weights(plain.cpu()).keys()
dist.destroy_process_group()
print("world of one: ok")
