"""Data-parallel training over MPI ranks (ember.distributed, DistributedDataParallel): weak
scaling from 1 to N ranks, and what overlapping the gradient all-reduce with backward buys.

    python bench/distributed_scaling.py [--ranks 1,2] [--rows 784-1024-1024-10,64-64-10] [--batch 64]
                                        [--repeats 5] [--steps 20] [--threads 1]

Weak scaling: every rank trains on its own batch of --batch rows (fixed per rank), so N ranks do
N times the work of one; steps/s at N ranks equal to steps/s at 1 rank would be perfect scaling
(efficiency 100%). Overlap: the same step at the largest rank count three ways, all giving the
same weights: `ddp` (DistributedDataParallel: gradient buckets all-reduced during backward),
`after_flat` (plain backward, then one all-reduce of all gradients laid end to end) and
`after_each` (plain backward, then one all-reduce per gradient). ddp vs after_flat is the overlap
gain alone; after_each shows what bucketing saves in per-call overhead. A control, `no_comm`,
runs the same ranks with no all-reduce at all (each trains alone): the step time the machine
allows N concurrent ranks, so the gap between it and `ddp` is what communication costs, and the gap
between it and 1 rank is what sharing cores and memory bandwidth costs.

Each configuration is one mpiexec job (this file with --worker); jobs are interleaved
A B C, C B A, ... over --repeats rounds, and each reports the median of its timed blocks (a
barrier before each block; rank 0's wall clock). Before timing, every job checks its variants
give the same weights on every rank and (for the DDP step) the weights one process gets on the
concatenated batch. Each rank runs --threads kernel threads (1 by default: two ranks on two cores).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import _common


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", default="1,2")
    p.add_argument("--rows", default="784-1024-1024-10,64-64-10")
    p.add_argument("--batch", type=int, default=64, help="rows per rank per step")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=20, help="steps per timed block")
    p.add_argument("--blocks", type=int, default=5, help="timed blocks per job")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--worker", nargs=2, metavar=("SIZES", "VARIANT"), help=argparse.SUPPRESS)
    return p.parse_args()


ARGS = _parse()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build()


def worker(sizes_text, variant):
    import numpy as np

    import ember
    import ember.distributed as dist
    from ember import nn, optim
    from ember.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    sizes = [int(s) for s in sizes_text.split("-")]
    rng = np.random.default_rng(0)
    X = ember.tensor(rng.standard_normal((world * ARGS.batch, sizes[0])).astype(np.float32))
    Y = ember.tensor(rng.integers(0, sizes[-1], world * ARGS.batch))
    x, y = X[rank * ARGS.batch:(rank + 1) * ARGS.batch], Y[rank * ARGS.batch:(rank + 1) * ARGS.batch]
    loss_fn = nn.CrossEntropyLoss()

    def build():
        ember.manual_seed(0)
        layers = []
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        return nn.Sequential(*layers[:-1])

    def stepper(kind):
        model = build()
        net = DistributedDataParallel(model) if kind == "ddp" else model
        opt = optim.SGD(model.parameters(), lr=0.01)
        params = list(model.parameters())

        def step():
            opt.zero_grad()
            loss_fn(net(x), y).backward()
            if kind == "after_each":
                for p in params:
                    dist.all_reduce(p.grad)
                    p.grad.div_(world)
            elif kind == "after_flat":
                flat = ember.cat([p.grad.reshape(-1) for p in params])
                dist.all_reduce(flat)
                flat.div_(world)
                offset = 0
                for p in params:
                    p.grad.copy_(flat[offset:offset + p.numel()].view(p.shape))
                    offset += p.numel()
            opt.step()
        return model, step

    # Validation: three steps of this variant give the one-process weights on the whole batch,
    # on every rank (no_comm, the control, trains each rank on its own and is not checked).
    model, step = stepper(variant)
    for _ in range(3):
        step()
    if variant == "no_comm":
        for _ in range(5):
            step()
        return _time(step, dist, rank)
    ref = build()
    ref_opt = optim.SGD(ref.parameters(), lr=0.01)
    for _ in range(3):
        ref_opt.zero_grad()
        loss_fn(ref(X), Y).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5)
    mine = ember.tensor([float(sum(p.detach().sum().item() for p in model.parameters()))], dtype=ember.float64)
    everyone = [ember.zeros(1, dtype=ember.float64) for _ in range(world)]
    dist.all_gather(everyone, mine)
    assert len({t.item() for t in everyone}) == 1, "ranks disagree"

    for _ in range(5):  # warm-up
        step()
    _time(step, dist, rank)


def _time(step, dist, rank):
    blocks = []
    for _ in range(ARGS.blocks):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(ARGS.steps):
            step()
        blocks.append((time.perf_counter() - start) / ARGS.steps)
    dist.barrier()
    if rank == 0:
        print("RESULT " + json.dumps(dict(step_s=statistics.median(blocks))), flush=True)
    dist.destroy_process_group()


def run_job(n, sizes, variant):
    from ember.distributed.launch import find_mpiexec
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker", sizes, variant,
           "--batch", str(ARGS.batch), "--steps", str(ARGS.steps), "--blocks", str(ARGS.blocks),
           "--threads", str(ARGS.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"job failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])["step_s"]


def main():
    ranks = [int(r) for r in ARGS.ranks.split(",")]
    top = max(ranks)
    print(_common.machine_line())
    print(f"per-rank batch {ARGS.batch}, {ARGS.threads} kernel thread(s) per rank, {ARGS.repeats} rounds of "
          f"{ARGS.blocks} blocks of {ARGS.steps} steps; load average before: {os.getloadavg()[0]:.2f}")
    for sizes in ARGS.rows.split(","):
        jobs = [(n, "ddp") for n in ranks] + [(top, "after_flat"), (top, "after_each"), (top, "no_comm")]
        times = {job: [] for job in jobs}
        for r in range(ARGS.repeats):
            for job in (jobs if r % 2 == 0 else jobs[::-1]):
                times[job].append(run_job(job[0], sizes, job[1]))
        med = {job: statistics.median(t) for job, t in times.items()}
        base = med[(1, "ddp")] if 1 in ranks else None
        print(f"\nMLP {sizes}")
        print("| ranks | step | ms/step (median) | spread (min-max) | steps/s | samples/s | weak-scaling efficiency |")
        print("|---|---|---|---|---|---|---|")
        for job in jobs:
            n, variant = job
            ms = med[job] * 1e3
            eff = f"{base / med[job] * 100:.0f}%" if base else "-"
            print(f"| {n} | {variant} | {ms:.2f} | {min(times[job]) * 1e3:.2f}-{max(times[job]) * 1e3:.2f} | "
                  f"{1 / med[job]:.1f} | {n * ARGS.batch / med[job]:.0f} | {eff} |")
        ratios = [a / b for a, b in zip(times[(top, "after_flat")], times[(top, "ddp")])]
        print(f"overlap gain at {top} ranks (after_flat / ddp, median of per-round ratios): "
              f"{statistics.median(ratios):.3f}x")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    if ARGS.worker:
        worker(*ARGS.worker)
    else:
        main()
