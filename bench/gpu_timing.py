"""How the GPU benchmarks time ember against PyTorch (bench/gpu_gemm.py, bench/gpu_mlp.py).

A GPU call returns before the work is done, so every timed block is bracketed by the engine's
synchronize and holds enough calls (calibrated to about `block_s`) that the two syncs are noise.
The engines alternate (A B, B A, ...) so drift in clocks or temperature hits both alike, and the
figure that matters is the median of the per-repeat time ratios."""
import gc
import time

import numpy as np


def skip_reason(ember, torch):
    """Why the GPU comparison cannot run here, or None."""
    if torch is None:
        return "PyTorch is not installed (it is the reference engine)"
    if not ember.cuda.is_available():
        return f"ember has no usable GPU ({ember.cuda.unavailable_reason()})"
    if not torch.cuda.is_available():
        return "this PyTorch build has no CUDA (or sees no GPU)"
    return None


def time_block(fn, sync, calls):
    """Seconds per call of `calls` back-to-back calls, the queue drained before and after."""
    gc.disable()
    try:
        sync()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        return (time.perf_counter() - t0) / calls
    finally:
        gc.enable()


def calibrate(fn, sync, block_s):
    """How many calls make a block of about block_s seconds."""
    calls = 1
    while True:
        dt = time_block(fn, sync, calls) * calls
        if dt > block_s / 4 or calls >= 1 << 16:
            return max(1, int(calls * block_s / max(dt, 1e-9)))
        calls *= 2


def interleaved(ember_fn, torch_fn, syncs, repeats, block_s, warmup=20):
    """Times the two engines' calls alternately. Returns the median seconds per call of each, and
    the median and quartiles of the per-repeat ratios ember / torch."""
    fns = [(ember_fn, syncs[0]), (torch_fn, syncs[1])]
    for fn, sync in fns:  # warm up: first launches, allocator pools, library heuristics
        time_block(fn, sync, warmup)
    calls = [calibrate(fn, sync, block_s) for fn, sync in fns]
    times, ratios = ([], []), []
    for r in range(repeats):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            times[i].append(time_block(*fns[i], calls[i]))
        ratios.append(times[0][-1] / times[1][-1])
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    return dict(ember_s=float(np.median(times[0])), torch_s=float(np.median(times[1])), ratio=float(med),
                iqr=(float(q1), float(q3)))
