"""Rank script: rank 1 stops calling collectives (it sleeps); rank 0's all_reduce on the device
never completes, and the NCCL watchdog must end the job within the 3 s timeout."""
import datetime
import time

import ember
import ember.distributed as dist

dist.init_process_group("nccl", timeout=datetime.timedelta(seconds=3))
x = ember.ones(4, device="cuda")
dist.all_reduce(x)  # both ranks: the communicator is made
x.cpu()
if dist.get_rank() == 1:
    time.sleep(120)
else:
    dist.all_reduce(x)
    x.cpu()  # waits for the device, which waits for rank 1
    time.sleep(30)  # the watchdog aborts the job before this ends
print("reached the end", flush=True)
