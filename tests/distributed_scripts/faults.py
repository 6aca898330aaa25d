"""Rank script: rank 1 misbehaves (argv[1]: sleep, raise, exit, kill) after one all_reduce; rank 0
goes on to the next all_reduce, which must not hang: it fails within the 3 s timeout, or mpiexec
ends the job."""
import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=3))
rank = dist.get_rank()
t = ember.ones(4)
dist.all_reduce(t)
print(f"rank {rank} first all_reduce {t.tolist()}", flush=True)
if rank == 1:
    mode = sys.argv[1]
    if mode == "sleep":  # alive but absent: rank 0 must time out
        time.sleep(60)
    elif mode == "raise":
        raise ValueError("rank 1 fails on purpose")
    elif mode == "exit":
        os._exit(7)
    elif mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
dist.all_reduce(t)
print(f"rank {rank} second all_reduce {t.tolist()}", flush=True)
