"""Rank script: rank 1 misbehaves (argv[1]: sleep, raise, exit, kill) after one all_reduce; rank 0
goes on to the next all_reduce, which must not hang: it fails within the 3 s timeout, or mpiexec
ends the job. Progress goes to a file per rank in argv[2] (mpiexec may interleave the ranks'
stdout mid-line, and drops what a killed job had not forwarded yet)."""
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


def note(text):
    with open(os.path.join(sys.argv[2], f"rank{rank}.txt"), "a") as f:
        f.write(text + "\n")


dist.all_reduce(t)
note(f"first all_reduce {t.tolist()}")
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
note(f"second all_reduce {t.tolist()}")
