"""A 2-thread MLP-step comparison for a shared machine: waits for a moment when both cores are
idle, then times ember and PyTorch in alternating blocks and shows each thread's CPU time, so a
run disturbed by another process is visible as such.

    python bench/probes/quiet_probe.py [--rows 784-512-512-10] [--steps 20] [--rounds 3] [--wait 120] [--ember-path DIR]

Before it starts it polls /proc/stat until the machine was >= 90% idle over one second (or gives
up after --wait seconds). Each round runs --steps training steps of ember, then of torch, after
100 ms of sleep each (as the suite does), and prints ms/step and the CPU seconds each thread of
the process used in the block (two threads near the block's wall time = both cores were ours)."""
import argparse
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # bench/, for _common
import _common  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--rows", default="784-512-512-10")
p.add_argument("--steps", type=int, default=20)
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--wait", type=float, default=120.0)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--ember-path", help="import ember from this folder instead of python/")
ARGS = p.parse_args()
_common.set_threads_env(ARGS.threads)
_common.use_dev_build(ARGS.ember_path)
from ember.bench import engines as E, workloads as W  # noqa: E402

SIZES = {"784-128-10": ((784, 128, 10), 128), "784-512-512-10": ((784, 512, 512, 10), 256),
         "784-1024-1024-10": ((784, 1024, 1024, 10), 1024)}


def idle_fraction():
    def read():
        v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
        return sum(v), v[3]
    t1, i1 = read()
    time.sleep(1.0)
    t2, i2 = read()
    return (i2 - i1) / max(t2 - t1, 1)


def thread_cpu():
    tck, out = os.sysconf("SC_CLK_TCK"), {}
    for d in glob.glob(f"/proc/{os.getpid()}/task/*"):
        try:
            f = open(d + "/stat").read().rsplit(")", 1)[1].split()
            out[os.path.basename(d)] = (int(f[11]) + int(f[12])) / tck
        except OSError:
            pass
    return out


def main():
    engines = {e.name: e for e in E.discover(["ember", "torch"])}
    E.set_threads(ARGS.threads)
    rows = {r: W.mlp_row(*SIZES[r], 0) for r in ARGS.rows.split(",")}
    runs = {(r, n): row.build(e).run for r, row in rows.items() for n, e in engines.items()}
    for run in runs.values():
        for _ in range(3):
            run()
    end = time.time() + ARGS.wait
    while True:
        idle = idle_fraction()
        if idle >= 0.9 or time.time() > end:
            break
    print(f"machine {idle:.0%} idle over 1 s before starting; load {os.getloadavg()[0]:.1f}")
    for r in rows:
        for rnd in range(ARGS.rounds):
            line = []
            for n in ("ember", "torch"):
                time.sleep(0.1)
                a, t0 = thread_cpu(), time.perf_counter()
                for _ in range(ARGS.steps):
                    runs[(r, n)]()
                dt = time.perf_counter() - t0
                b = thread_cpu()
                busy = sorted((round(b[k] - a.get(k, 0), 2) for k in b if b[k] - a.get(k, 0) > 0), reverse=True)
                line.append(f"{n} {dt / ARGS.steps * 1e3:6.2f} ms/step (block {dt:.2f} s, thread cpu {busy})")
            print(f"{r} round {rnd}: " + "; ".join(line), flush=True)


if __name__ == "__main__":
    main()
