"""Validate, then time: the method every row of the suite follows.

1. Validate: every engine computes the row from the same data and weights; each result must match
   the reference engine's (ember's when present) within the row's tolerance. An engine that
   disagrees is not timed, and the run reports it.
2. Warm up each engine, then size a block of calls to about `block_s`.
3. Time `repeats` rounds with the engines interleaved, the order reversed every other round
   (A B C, C B A, ...), idling `idle_s` before each block so that the previous engine's worker
   threads (NumPy's BLAS spins ~0.1 s after a call) have gone quiet.
4. Report per engine the median time per call and its IQR, and the ratio to the reference as the
   median of per-round ratios (each round's engines ran back to back, so load drifts cancel).
"""
import gc
import os
import time

import numpy as np

REFERENCE = "ember"


class Measurement:
    def __init__(self, times):
        self.times = times  # seconds per call, one per round
        self.median = float(np.median(times))
        self.q1, self.q3 = (float(q) for q in np.percentile(times, [25, 75]))
        self.ratio = self.ratio_q1 = self.ratio_q3 = None


# ---------------------------------------------------------------------- validation

def agree(result, expected, rtol):
    """None if `result` matches `expected` key by key (max |diff| <= rtol * max |expected|), else why."""
    for key, want in expected.items():
        got = result.get(key)
        if got is None:
            return f"{key}: missing"
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        if got.shape != want.shape:
            return f"{key}: shape {got.shape} vs {want.shape}"
        scale = float(np.max(np.abs(want))) if want.size else 0.0
        err = float(np.max(np.abs(got - want))) if want.size else 0.0
        if not err <= rtol * scale + 1e-6:
            return f"{key}: max |diff| {err:.3g} > {rtol:g} x max |value| {scale:.3g}"
    return None


def validate(row, engines):
    """Checks every engine's results against the reference's.

    Returns (ok, failures): the engines that agree (reference included) and {engine name: reason}."""
    results, failures = {}, {}
    for e in engines:
        try:
            results[e.name] = row.build(e).check()
        except Exception as exc:  # an engine lacking an op must not stop the whole run
            failures[e.name] = f"{type(exc).__name__}: {exc}"
    names = [e.name for e in engines if e.name in results]
    if not names:
        return [], failures
    ref = REFERENCE if REFERENCE in results else names[0]
    ok = []
    for e in engines:
        if e.name not in results:
            continue
        why = None if e.name == ref else agree(results[e.name], results[ref], row.rtol)
        if why is None:
            ok.append(e)
        else:
            failures[e.name] = f"disagrees with {ref}: {why}"
    return ok, failures


# ---------------------------------------------------------------------- timing

def time_block(fn, sync, calls):
    gc.disable()  # a collection inside one engine's block would be charged to it alone
    try:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        return (time.perf_counter() - t0) / calls
    finally:
        gc.enable()


def calls_per_block(fn, sync, block_s):
    n = 1
    while True:
        dt = time_block(fn, sync, n) * n
        if dt >= block_s / 4 or n >= 1 << 20:
            return max(1, int(round(n * block_s / max(dt, 1e-9))))
        n *= 2


def measure(cases, repeats, block_s, idle_s, warmup_s=0.05):
    """Times {engine: (run, sync)} interleaved; returns {engine: Measurement} with ratios filled in."""
    names = list(cases)
    calls = {}
    for name in names:
        run, sync = cases[name]
        t_end = time.perf_counter() + warmup_s
        run()  # at least one warm-up call, then more while the warm-up time lasts
        while time.perf_counter() < t_end:
            run()
        sync()
        calls[name] = calls_per_block(run, sync, block_s)
    times = {n: [] for n in names}
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            time.sleep(idle_s)
            run, sync = cases[name]
            times[name].append(time_block(run, sync, calls[name]))
    out = {n: Measurement(times[n]) for n in names}
    if REFERENCE in out:
        ref = np.asarray(times[REFERENCE])
        for n in names:
            ratios = np.asarray(times[n]) / ref
            m = out[n]
            m.ratio = float(np.median(ratios))
            m.ratio_q1, m.ratio_q3 = (float(q) for q in np.percentile(ratios, [25, 75]))
    return out


# ---------------------------------------------------------------------- one row, end to end

def run_row(row, engines, repeats, block_s, idle_s, time_it=True):
    """Validates and (if `time_it`) times one row; returns a dict for the report."""
    load_before = os.getloadavg()[0]
    record = {"group": row.group, "label": row.label, "size": row.size, "note": row.unit_note,
              "skipped": {}, "failed": {}, "engines": {}}
    candidates = []
    for e in engines:
        why = e.skip or row.skip(e)
        if why:
            record["skipped"][e.name] = why
        else:
            candidates.append(e)
    ok, failures = validate(row, candidates)
    record["failed"] = failures
    if time_it and ok:
        cases = {}
        for e in ok:
            case = row.build(e)
            cases[e.name] = (case.run, e.sync)
        for name, m in measure(cases, repeats, block_s, idle_s).items():
            record["engines"][name] = {"median_s": m.median, "q1_s": m.q1, "q3_s": m.q3, "times_s": m.times,
                                       "ratio": m.ratio, "ratio_q1": m.ratio_q1, "ratio_q3": m.ratio_q3}
    elif ok:
        record["validated"] = [e.name for e in ok]
    record["load_1min"] = [load_before, os.getloadavg()[0]]
    return record
