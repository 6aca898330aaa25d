"""What one training step costs the host on a CUDA device, beyond its arithmetic: kernel launches,
requests to the driver's allocator, host-device syncs and bytes moved, per step after warm-up, for
the MLP configs of `ember bench` (issue 14). The counters do not depend on the device's speed, so
the emulated device (an EMBER_CUDA=EMU build) gives the same numbers a GPU would.

    tools/build_variant.sh cuda-emu -DEMBER_CUDA=EMU
    PYTHONPATH=build-cuda-emu/python python bench/cuda_step_counters.py --out bench/results/cuda-counters-DATE.md

Each step is the one of bench/gpu_mlp.py and ember's trainer: forward, cross-entropy, zero_grad,
backward, optimizer step, with data already on the device. The counts are checked to be the same
in two measured steps (the step is deterministic in what it launches)."""
import argparse
import subprocess
import sys

import _common

import ember
from ember.bench.cuda_counters import counters_per_graphed_step, counters_per_step
from ember.bench.workloads import MLP_SIZES


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write a markdown table here")
    ap.add_argument("--label", default="", help="a word for the table's title (before, after)")
    args = ap.parse_args()
    if not ember.cuda.is_available():
        sys.exit(f"no CUDA device: {ember.cuda.unavailable_reason()}")
    device = ("the emulated CUDA device (EMBER_CUDA=EMU) on " + _common.machine_line()
              if ember.cuda.is_emulated() else "a CUDA GPU")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    rows = []
    for sizes, batch in MLP_SIZES:
        for opt_name in ("SGD", "Adam", "Adam capturable"):
            c = counters_per_step(sizes, batch, opt_name)
            graphed = counters_per_graphed_step(sizes, batch, opt_name)["kernel_launches"]
            rows.append(f"| {'-'.join(map(str, sizes))} | {batch} | {opt_name} | {c['kernel_launches']} | "
                        f"{graphed} | {c['allocator_calls']} | {c['syncs']} | {c['bytes_to_device']} | "
                        f"{c['bytes_to_host']} |")
            print(rows[-1], flush=True)
    text = "\n".join([
        f"# Host cost of one training step on CUDA{' (' + args.label + ')' if args.label else ''}",
        "",
        f"Measured with `bench/cuda_step_counters.py` (commit {commit}) on {device};",
        "per step after two warm-up steps,",
        "the same in two measured steps. Launches are kernels queued; allocator calls are requests to the",
        "driver's allocator (device or pinned memory, taken or given back).",
        "",
        "Launches captured: the same step through ember.cuda.capture_training_step (one CUDA graph",
        "replay; plain Adam's step() runs after it, capturable Adam's is in it), the batch copied from pinned",
        "memory into its inputs.",
        "",
        "| MLP | batch | optimizer | kernel launches | launches captured | allocator calls | syncs | bytes H2D | bytes D2H |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows, ""])
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
