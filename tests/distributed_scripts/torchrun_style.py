"""A script written for torchrun: reads torchrun's variables, calls init_process_group("gloo") as
CPU scripts for torchrun do (ember runs it on MPI), and writes what it sees to $REPORT_DIR/rank<R>.txt (mpiexec may interleave the ranks'
stdout mid-line). Run by `ember run` in tests/test_distributed_launch.py."""
import os
import sys

import ember
import ember.distributed as dist

env = {k: os.environ.get(k) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                                      "MASTER_PORT")}
dist.init_process_group("gloo")
assert dist.get_backend() == "gloo"
t = ember.tensor([float(dist.get_rank())])
dist.all_reduce(t)
with open(os.path.join(os.environ["REPORT_DIR"], f"rank{dist.get_rank()}.txt"), "w") as f:
    f.write(f"rank {dist.get_rank()}/{dist.get_world_size()} env={env} sum={t.item()} argv={sys.argv[1:]} "
            f"script_dir_on_path={os.path.dirname(os.path.abspath(__file__)) == sys.path[0]}")
if len(sys.argv) > 1 and sys.argv[1] == "fail" and dist.get_rank() == 1:
    sys.exit(3)
dist.barrier()
