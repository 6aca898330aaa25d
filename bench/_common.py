"""What the scripts in bench/ do before and around their measurements, written once.

    import _common                       # first: it imports only the standard library
    ARGS = _parse()
    _common.set_threads_env(ARGS.threads)  # before NumPy, torch or ember start a thread pool
    _common.use_dev_build(ARGS.ember_path) # prefer python/ (cmake + ninja) over an installed ember
    import numpy as np, ember ...

The timing helpers time the way the suite does (ember.bench.runner: blocks of calls sized to
about `block_s`, the garbage collector off inside a block, a sync at its end) and interleave the
engines A B, B A, ... so that drift in load, clocks or temperature hits both alike; a script
reports medians and the median of the per-round ratios. A script in bench/probes/ first puts
bench/ on sys.path to import this module.
"""
import glob
import os
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_DEV_BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python")


def set_threads_env(n):
    """OpenMP and the BLAS libraries read these once, when their runtime starts: call this before
    the imports that load them."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)


def use_dev_build(path=None):
    """Imports ember from `path` (a folder holding an `ember` package, to compare two builds) or,
    by default, from the development build in python/ when one has been built there."""
    src = path or _DEV_BUILD
    if glob.glob(os.path.join(src, "ember", "_C*.so")):
        sys.path.insert(0, src)


def use_cpu_time():
    """--cpu-time: the timing helpers (and ember.bench.runner) read the process's CPU time instead
    of the wall clock; with one thread on a busy machine that is a call's cost without the time
    spent waiting for a core (at two threads it also counts the workers' spinning)."""
    time.perf_counter = time.process_time


def _no_sync():
    pass


def interleaved(fns, repeats, block_s, syncs=None, idle_s=0.0, warmup=20):
    """Times the calls in `fns` (one per engine) in rounds, in turn A B, B A, ..., each after
    `idle_s` of sleep (so the last engine's worker threads have gone quiet). `syncs` end each block:
    a GPU call returns before its work is done, so a block ends with the engine's synchronize (and
    the next starts with an empty queue), and holds enough calls that the sync is noise.
    Returns, per call in `fns`, its seconds per call in every round."""
    from ember.bench.runner import calls_per_block, time_block

    syncs = syncs or [_no_sync] * len(fns)
    for fn, sync in zip(fns, syncs):  # first calls, allocator pools, library heuristics; ends drained
        time_block(fn, sync, warmup)
    calls = [calls_per_block(fn, sync, block_s) for fn, sync in zip(fns, syncs)]
    times = [[] for _ in fns]
    order = list(range(len(fns)))
    for r in range(repeats):
        for i in (order if r % 2 == 0 else order[::-1]):
            if idle_s:
                time.sleep(idle_s)
            times[i].append(time_block(fns[i], syncs[i], calls[i]))
    return times


def ratio_stats(numerator, denominator):
    """(median, first quartile, third quartile) of the per-round ratios numerator / denominator."""
    import numpy as np

    q1, median, q3 = np.percentile(np.asarray(numerator) / np.asarray(denominator), [25, 50, 75])
    return float(median), float(q1), float(q3)


def ember_vs_torch(ember_times, torch_times):
    """The usual row of an ember-against-torch table: each engine's median microseconds per call,
    and the median and IQR of the per-round ratios ember / torch."""
    import numpy as np

    ratio, q1, q3 = ratio_stats(ember_times, torch_times)
    return dict(ember_us=float(np.median(ember_times)) * 1e6, torch_us=float(np.median(torch_times)) * 1e6,
                ratio=ratio, iqr=(q1, q3))


def machine_line():
    """The machine, for a report's header: CPU model, logical cores, vector ISA, OS."""
    from ember.bench.report import machine_info

    m = machine_info()
    return f"{m['cpu']}, {m['logical_cores']} logical cores, ISA {' '.join(m['isa']) or 'baseline'}, {m['os']}"


def gpu_torch(ember):
    """(torch, None) for a GPU comparison against PyTorch, or (torch or None, why it cannot run)."""
    try:
        import torch
    except ImportError:
        torch = None
    return torch, gpu_skip_reason(ember, torch)


def gpu_skip_reason(ember, torch):
    """Why a GPU comparison cannot run here, or None."""
    if torch is None:
        return "PyTorch is not installed (it is the reference engine)"
    if not ember.cuda.is_available():
        return f"ember has no usable GPU ({ember.cuda.unavailable_reason()})"
    if not torch.cuda.is_available():
        return "this PyTorch build has no CUDA (or sees no GPU)"
    return None
