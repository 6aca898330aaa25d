"""Square FP32 GEMM on the GPU: ember's CUDA SGEMM against PyTorch's (cuBLAS), in one process.

    python bench/gpu_gemm.py [--sizes 512 1024 2048 4096 8192] [--repeats 15] [--out bench/results/gpu-gemm-DATE.md]

Each size first checks that the two engines compute the same product (relative Frobenius error
against the float64 product of the same inputs, and against each other), then warms up, then
times blocks of calls with the engines interleaved (A B, B A, ...), each block bracketed by the
engine's synchronize, and reports the median time per call, GFLOP/s (2 n^3 per product) and the
median of the per-repeat ratios ember / torch. torch runs in strict FP32 (TF32 off), the same
arithmetic as ember's kernel. Without a GPU (or without a CUDA build of either engine) it prints
`skipped: <reason>` and exits 0."""
import argparse
import datetime
import platform
import sys

import _common

_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096, 8192])
    p.add_argument("--repeats", type=int, default=15, help="timed blocks per engine and size")
    p.add_argument("--block-ms", type=float, default=100.0, help="target length of one timed block")
    p.add_argument("--out", help="also write the table as markdown to this file")
    return p.parse_args()


def engines(torch, n, rng):
    """Both engines' operands for one size (the same values) and a call that multiplies them."""
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ea, eb = ember.tensor(a).cuda(), ember.tensor(b).cuda()
    ta, tb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    return (a, b), {"ember": (lambda: ea @ eb, ember.cuda.synchronize),
                    "torch": (lambda: ta @ tb, torch.cuda.synchronize)}


def validate(inputs, fns, n):
    """Relative errors of each engine against the float64 product, and between the two."""
    a, b = inputs
    exact = a.astype(np.float64) @ b.astype(np.float64) if n <= 4096 else None
    e = fns["ember"][0]().cpu().numpy()
    t = fns["torch"][0]().cpu().numpy()
    rel = lambda x, y: float(np.linalg.norm(x - y) / np.linalg.norm(y))  # noqa: E731
    errs = {"ember_vs_torch": rel(e, t)}
    if exact is not None:
        errs["ember_vs_fp64"], errs["torch_vs_fp64"] = rel(e, exact), rel(t, exact)
    # FP32 accumulation over n terms: ~sqrt(n) * 6e-8 relative; a wrong index is O(1).
    limit = 1e-5 * max(1.0, (n / 1024) ** 0.5)
    bad = {k: v for k, v in errs.items() if not v < limit}
    if bad:
        raise SystemExit(f"validation failed at n={n}: relative errors {bad} (limit {limit:.1e})")
    return errs


def main():
    args = _parse()
    torch, reason = _common.gpu_torch(ember)
    if reason:
        print(f"skipped: {reason}")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False  # strict FP32, as ember's kernel
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        inputs, fns = engines(torch, n, rng)
        errs = validate(inputs, fns, n)
        times = _common.interleaved([fns["ember"][0], fns["torch"][0]], args.repeats, args.block_ms / 1e3,
                                    syncs=[fns["ember"][1], fns["torch"][1]], warmup=3)
        med = {"ember": float(np.median(times[0])), "torch": float(np.median(times[1]))}
        ratio = _common.ratio_stats(*times)[0]
        flops = 2.0 * n ** 3
        rows.append((n, med, ratio, flops, errs))
        print(f"  n={n}: ember {flops / med['ember'] / 1e9:.0f} GFLOP/s, torch {flops / med['torch'] / 1e9:.0f} "
              f"GFLOP/s, ember/torch throughput {1 / ratio:.2f}", file=sys.stderr)
        del inputs, fns

    header = [
        f"date: {datetime.date.today().isoformat()}",
        f"device: {torch.cuda.get_device_name()} (torch), CUDA {torch.version.cuda}",
        f"versions: ember {ember.__version__}, torch {torch.__version__}, python {platform.python_version()}",
        f"method: square FP32 C = A @ B (A, B standard normal), TF32 off in torch; per size {args.repeats} "
        f"interleaved repeats of blocks of ~{args.block_ms:g} ms bracketed by synchronize; median time per "
        "call; ratio = median of per-repeat ember/torch time ratios",
    ]
    table = ["| n | ember (ms) | torch (ms) | ember GFLOP/s | torch GFLOP/s | ember / cuBLAS throughput | "
             "rel. error vs torch |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for n, med, ratio, flops, errs in rows:
        table.append(f"| {n} | {med['ember'] * 1e3:.3f} | {med['torch'] * 1e3:.3f} | "
                     f"{flops / med['ember'] / 1e9:.0f} | {flops / med['torch'] / 1e9:.0f} | "
                     f"{100 / ratio:.0f}% | {errs['ember_vs_torch']:.1e} |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# ember CUDA SGEMM vs cuBLAS (torch)\n\n")
            f.write("".join(f"- {h}\n" for h in header) + "\n" + "\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
