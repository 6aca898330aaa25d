"""Rank script: user mistakes must raise clear errors (recorded per rank for
tests/test_distributed_errors.py), and the group must still work afterwards."""
import datetime
import os
import sys

import ember
import ember.distributed as dist
from common import write

out_dir = sys.argv[1]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=20))
rank, world = dist.get_rank(), dist.get_world_size()
errors = {}


def record(name, fn):
    try:
        fn()
        errors[name] = None
    except Exception as e:  # noqa: BLE001  the type and text are what the test checks
        errors[name] = [type(e).__name__, str(e)]


record("bad_op", lambda: dist.all_reduce(ember.ones(3), op="sum"))
record("avg_int", lambda: dist.all_reduce(ember.ones(3, dtype=ember.int64), op=dist.ReduceOp.AVG))
record("non_contiguous", lambda: dist.all_reduce(ember.ones(3, 4).t()))
record("not_a_tensor", lambda: dist.broadcast([1.0], src=0))
record("gather_list_size", lambda: dist.all_gather([ember.zeros(3)], ember.ones(3)))
record("gather_list_dtype", lambda: dist.all_gather([ember.zeros(3, dtype=ember.int64)] * world, ember.ones(3)))
record("into_tensor_size", lambda: dist.all_gather_into_tensor(ember.zeros(5), ember.ones(3)))
record("src_outside", lambda: dist.broadcast(ember.ones(3), src=world))
record("send_to_self", lambda: dist.send(ember.ones(3), dst=rank))
record("init_twice", lambda: dist.init_process_group("mpi"))

# EMBER_DISTRIBUTED_DEBUG=DETAIL: the check is itself a complete collective, so after a mismatch
# is reported the group still works.
os.environ["EMBER_DISTRIBUTED_DEBUG"] = "DETAIL"
record("debug_shape", lambda: dist.all_reduce(ember.ones(4, 3) if rank == 0 else ember.ones(3)))
record("debug_dtype", lambda: dist.all_reduce(ember.ones(2, dtype=ember.float64 if rank == 0 else ember.float32)))
record("debug_op", lambda: dist.all_reduce(ember.ones(2)) if rank == 0 else dist.broadcast(ember.ones(2), src=0))
del os.environ["EMBER_DISTRIBUTED_DEBUG"]
os.environ["TORCH_DISTRIBUTED_DEBUG"] = "DETAIL"
record("torch_debug_shape", lambda: dist.all_reduce(ember.ones(2 + rank)))
ok = ember.ones(2)
dist.all_reduce(ok)  # and a matching call passes the check
errors["after_debug"] = ok.tolist()
write(out_dir, rank, {}, errors)
