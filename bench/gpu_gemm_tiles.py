"""Float32 GEMM tiles on the GPU (Note [GEMM tiles by shape]): each tile forced in turn, the rule's
choice and PyTorch (cuBLAS), at the shapes of an MLP step, in one process.

    python bench/gpu_gemm_tiles.py [--repeats 15] [--out FILE]

The rule that picks a tile by shape was set by reasoning, not timing; this is the timing that
checks it. Each shape first checks that every tile gives the 128 x 128 kernel's bits (the rule may
change speed, never a result) and that ember agrees with torch; then times blocks of calls with
all engines interleaved, each block bracketed by a synchronize, and reports the median per call.
TF32 off in torch, the same arithmetic. Without a GPU it prints `skipped: <reason>` and exits 0."""
import argparse
import datetime
import sys

import _common

_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember import _C  # noqa: E402

TILES = ["128x128", "64x64", "32x32", "16x16", "64x16"]
# (M, N, K): the 784-128-10 MLP at batch 128 (forward, weight gradients, input gradient), the
# issue's 64 x 1024 x 1024, and one large product where 128 x 128 should win.
SHAPES = [(128, 128, 784), (128, 10, 128), (128, 784, 128), (784, 128, 128), (10, 128, 128),
          (64, 1024, 1024), (4096, 4096, 4096)]


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--block-ms", type=float, default=50.0)
    p.add_argument("--out")
    return p.parse_args()


def _forced(tile, fn):
    def call():
        _C._cuda_force_gemm_tile(tile)
        return fn()
    return call


def main():
    args = _parse()
    torch, reason = _common.gpu_torch(ember)
    if reason:
        print(f"skipped: {reason}")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False
    rng = np.random.default_rng(0)
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    rows = []
    try:
        for m, n, k in SHAPES:
            a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
            ea, eb, ta, tb = ember.tensor(a).cuda(), ember.tensor(b).cuda(), torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
            prod = lambda: ea @ eb  # noqa: E731
            results = {tile: _forced(tile, prod)().cpu().numpy() for tile in TILES}
            for tile in TILES[1:]:
                if results[tile].tobytes() != results[TILES[0]].tobytes():
                    raise SystemExit(f"{m}x{n}x{k}: tile {tile} differs from 128x128 in the bits")
            t = (ta @ tb).cpu().numpy()
            err = float(np.linalg.norm(results[TILES[0]] - t) / np.linalg.norm(t))
            if not err < 1e-5:
                raise SystemExit(f"{m}x{n}x{k}: ember vs torch relative error {err:.1e}")
            fns = [_forced(tile, prod) for tile in TILES] + [lambda: ta @ tb]
            syncs = [ember.cuda.synchronize] * len(TILES) + [torch.cuda.synchronize]
            times = _common.interleaved(fns, args.repeats, args.block_ms / 1e3, syncs=syncs, warmup=3)
            med = [float(np.median(x)) * 1e6 for x in times]
            rule = _C._cuda_gemm_tile_rule(m, n, 1, sms)
            rows.append(f"| {m} x {n} x {k} | {rule} | " + " | ".join(f"{x:.1f}" for x in med) + " |")
            print(rows[-1], file=sys.stderr)
    finally:
        _C._cuda_force_gemm_tile("auto")
    header = [f"date: {datetime.date.today().isoformat()}",
              f"device: {torch.cuda.get_device_name()} ({sms} SMs), CUDA {torch.version.cuda}, torch {torch.__version__}",
              f"method: C = A @ B, float32, median microseconds per call over {args.repeats} interleaved repeats"]
    table = ["| M x N x K | rule's tile | " + " | ".join(TILES) + " | torch |",
             "|---|---|" + "---:|" * (len(TILES) + 1), *rows]
    text = "\n".join(f"- {h}" for h in header) + "\n\n" + "\n".join(table) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
