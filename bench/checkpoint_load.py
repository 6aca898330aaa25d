"""Loading a checkpoint with 600,000 tensors: ember.load against the safetensors library.

The file is written by safetensors.numpy.save_file (its compact header, data in dtype order), with
600,000 small tensors of mixed dtypes and shapes, so the header (~50 MB of JSON) dominates. Each
measurement runs in a fresh process (peak RSS is a per-process high-water mark), after a warm-up
load of a small file in that process; the engines are interleaved A B C, C B A, ... and each row
reports the median and range of its repeats:

  ember.load                    the whole load: header parsed and checked, tensors made
  safetensors load_file         safetensors.numpy.load_file: header in Rust, one get_tensor each
  ember header                  ember's header reader alone (read, decode, parse, check)
  safetensors header            safetensors.safe_open(...).keys(): its Rust header parse alone
  json.loads header             a plain json.loads of the header text, nothing checked (the floor a
                                pure-json reader could reach before looking at a single entry)
  ember.load before (--before)  ember.load as of a git revision, for a before/after row

Peak memory is each worker's VmHWM (its whole process: the interpreter and imports included).
Before timing, ember.load's result is checked against safetensors' (every name, dtype, shape and
byte). Load average is recorded around each run: these 2-core machines are shared.

    python bench/checkpoint_load.py [--entries 600000 --repeats 5 --before REV --out results.md]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import _common

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ["ember.load", "safetensors load_file", "ember header", "safetensors header", "json.loads header"]
REFERENCE = {"ember.load": "safetensors load_file", "ember header": "safetensors header",
             "json.loads header": "safetensors header", "ember.load before": "ember.load"}
KINDS = [("F32", (2, 2)), ("F32", (4,)), ("I64", ()), ("F64", (3,)), ("BOOL", (2,)), ("I32", (1, 2))]


def make_file(path, entries):
    import numpy as np
    from safetensors.numpy import save_file

    np_types = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BOOL": np.bool_}
    arrays = {}
    for i in range(entries):
        code, shape = KINDS[i % len(KINDS)]
        arrays[f"model.layers.{i}.{code.lower()}"] = (np.arange(int(np.prod(shape))) % 2 + i).astype(
            np_types[code]).reshape(shape)
    save_file(arrays, path, metadata={"format": "np"})


def _load_engine(engine, before):
    """The function a worker times, imported the way that engine needs."""
    if engine in ("ember.load", "ember header", "ember.load before"):
        _common.use_dev_build()
        import ember
        if engine == "ember.load":
            return ember.load
        if engine == "ember.load before":
            return _old_load(before)
        from ember import _safetensors_header

        def ember_header(path):
            with open(path, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                text = f.read(n).decode("utf-8")
                return _safetensors_header.parse(text, os.fstat(f.fileno()).st_size - 8 - n)
        return ember_header
    if engine == "safetensors load_file":
        from safetensors.numpy import load_file
        return load_file
    if engine == "safetensors header":
        from safetensors import safe_open

        def safetensors_header(path):
            with safe_open(path, framework="np") as f:
                return f.keys(), f.metadata()
        return safetensors_header

    def json_header(path):
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            return json.loads(f.read(n))
    return json_header


def _old_load(rev):
    """ember.load as of git revision `rev`: its serialization.py imported inside the ember package."""
    import importlib.util

    source = subprocess.run(["git", "show", f"{rev}:python/ember/serialization.py"], cwd=HERE, check=True,
                            capture_output=True, text=True).stdout
    path = os.path.join(tempfile.mkdtemp(), "serialization_before.py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("ember._serialization_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load


def worker(engine, path, small, before):
    fn = _load_engine(engine, before)
    fn(small)  # warm-up: first calls, imports inside the engine
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    result = fn(path)
    seconds = time.perf_counter() - t
    peak = _peak_rss_mb()
    print(json.dumps(dict(engine=engine, seconds=seconds, peak_mb=peak, load=(load0 + os.getloadavg()[0]) / 2,
                          entries=len(result[0] if isinstance(result, tuple) else getattr(result, "names", result)))))


def _peak_rss_mb():
    """This process's peak resident memory. Not ru_maxrss: Linux carries that across fork and exec,
    so a worker would report its parent's peak; VmHWM belongs to the address space exec made."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def validate(path):
    _common.use_dev_build()
    import ember
    from safetensors.numpy import load_file

    mine, theirs = ember.load(path), load_file(path)
    assert set(mine) == set(theirs), "different names"
    for name, arr in theirs.items():
        got = mine[name].numpy()
        assert got.dtype == arr.dtype and got.shape == arr.shape and got.tobytes() == arr.tobytes(), name
    return len(mine)


def run_worker(engine, path, small, before):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine, "--file", path, "--small", small]
    if before:
        cmd += ["--before", before]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=600_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--before", help="git revision whose ember.load gets a row too")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--out", help="write the markdown table here")
    ap.add_argument("--worker")
    ap.add_argument("--file")
    ap.add_argument("--small")
    ap.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.file, args.small, args.before)
    if args.make:  # in a child, so that this process stays small while the workers run
        make_file(args.file, args.entries)
        make_file(args.small, 60)
        return print(validate(args.file))

    engines = args.engines.split(",") + (["ember.load before"] if args.before else [])
    scratch = tempfile.mkdtemp()
    path, small = os.path.join(scratch, "big.safetensors"), os.path.join(scratch, "small.safetensors")
    n = int(subprocess.run([sys.executable, os.path.abspath(__file__), "--make", "--entries", str(args.entries),
                            "--file", path, "--small", small], check=True, capture_output=True, text=True).stdout)
    print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB, {n} tensors, ember.load == safetensors: OK", flush=True)
    runs = {e: [] for e in engines}
    for r in range(args.repeats):
        for e in (engines if r % 2 == 0 else engines[::-1]):
            runs[e].append(run_worker(e, path, small, args.before))
            print(f"  {e}: {runs[e][-1]['seconds']:.2f} s, {runs[e][-1]['peak_mb']:.0f} MB, "
                  f"load {runs[e][-1]['load']:.1f}", flush=True)
    lines = [f"Machine: {_machine()}",
             f"File: {args.entries} tensors, {os.path.getsize(path) / 2**20:.1f} MiB, written by safetensors "
             f"{_version('safetensors')}; {args.repeats} fresh processes per engine, interleaved.", "",
             "| engine | time median (s) [min-max] | time ratio, median of rounds [IQR] | peak RSS median (MB) "
             "| load average during runs |", "|---|---:|---|---:|---:|"]
    for e in engines:
        s = [x["seconds"] for x in runs[e]]
        m = [x["peak_mb"] for x in runs[e]]
        la = [x["load"] for x in runs[e]]
        ratio = ""
        if REFERENCE.get(e) in runs:  # each round ran both, so their ratio is the fair comparison
            median, q1, q3 = _common.ratio_stats(s, [x["seconds"] for x in runs[REFERENCE[e]]])
            ratio = f"{median:.2f} [{q1:.2f}-{q3:.2f}] of {REFERENCE[e]}"
        lines.append(f"| {e} | {statistics.median(s):.2f} [{min(s):.2f}-{max(s):.2f}] | {ratio} "
                     f"| {statistics.median(m):.0f} | {min(la):.1f}-{max(la):.1f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


def _machine():
    _common.use_dev_build()
    return f"{_common.machine_line()}; Python {sys.version.split()[0]}"


def _version(name):
    try:
        return __import__(name).__version__
    except (ImportError, AttributeError):
        return "?"


if __name__ == "__main__":
    main()
