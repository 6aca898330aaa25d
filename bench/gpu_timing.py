"""How the GPU benchmarks time ember against PyTorch (bench/gpu_gemm.py, bench/gpu_mlp.py).

A GPU call returns before the work is done, so every timed block ends with the engine's
synchronize (and so starts with an empty queue) and holds enough calls (calibrated to about
`block_s`) that the sync is noise. The engines alternate (A B, B A, ...) so drift in clocks or temperature hits both alike, and the
figure that matters is the median of the per-repeat time ratios."""
import numpy as np

from ember.bench.runner import calls_per_block, time_block  # the suite's timing, shared


def skip_reason(ember, torch):
    """Why the GPU comparison cannot run here, or None."""
    if torch is None:
        return "PyTorch is not installed (it is the reference engine)"
    if not ember.cuda.is_available():
        return f"ember has no usable GPU ({ember.cuda.unavailable_reason()})"
    if not torch.cuda.is_available():
        return "this PyTorch build has no CUDA (or sees no GPU)"
    return None


def interleaved(ember_fn, torch_fn, syncs, repeats, block_s, warmup=20):
    """Times the two engines' calls alternately. Returns the median seconds per call of each, and
    the median and quartiles of the per-repeat ratios ember / torch."""
    fns = [(ember_fn, syncs[0]), (torch_fn, syncs[1])]
    for fn, sync in fns:  # warm up: first launches, allocator pools, library heuristics; ends drained
        time_block(fn, sync, warmup)
    calls = [calls_per_block(fn, sync, block_s) for fn, sync in fns]
    times, ratios = ([], []), []
    for r in range(repeats):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            times[i].append(time_block(*fns[i], calls[i]))
        ratios.append(times[0][-1] / times[1][-1])
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    return dict(ember_s=float(np.median(times[0])), torch_s=float(np.median(times[1])), ratio=float(med),
                iqr=(float(q1), float(q3)))
