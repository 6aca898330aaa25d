"""ember CUDA against PyTorch CUDA in one process: MLP training steps, a fused softmax
cross-entropy forward + backward, and an Adam step over 1e7 parameters.

    python bench/gpu_mlp.py [--repeats 21] [--block-ms 50] [--quick] [--out bench/results/gpu-mlp-DATE.md]

Each row first checks that the two engines compute the same thing (same initial weights, the
same batches: losses and parameters after a few steps agree), then warms up, then times blocks
of calls with the engines interleaved (A B, B A, ...), each block bracketed by a device
synchronize, and reports the median per-call time of each engine and the median and IQR of the
per-repeat ratio ember / torch. Without a usable GPU (or without a CUDA build of PyTorch) it
prints 'skipped: <reason>' and exits 0."""
import argparse
import datetime
import os
import platform
import sys

import _common

_common.use_dev_build()

import numpy as np  # noqa: E402

import ember  # noqa: E402

WIDTHS = [16, 64, 256, 1024]
BATCHES = [64, 512, 4096]
CLASSES = 10
DEVICE = "cuda"  # a dry run of the script's logic may set "cpu"


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=21, help="timed blocks per engine and row")
    p.add_argument("--block-ms", type=float, default=50.0, help="target length of one timed block")
    p.add_argument("--quick", action="store_true", help="a small grid (widths 16 and 1024, batch 512)")
    p.add_argument("--out", help="also write the table as markdown to this file")
    return p.parse_args(argv)


def mlp_arrays(widths, batch, seed=0):
    rng = np.random.default_rng(seed)
    layers = [((rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32), (rng.standard_normal(o) * 0.1)
               .astype(np.float32)) for i, o in zip(widths[:-1], widths[1:])]
    x = rng.standard_normal((batch, widths[0])).astype(np.float32)
    y = rng.integers(0, widths[-1], batch)
    return layers, x, y


def make_mlp_step(lib, widths, batch, optimizer, lr):
    layers, x_np, y_np = mlp_arrays(widths, batch)
    mods = []
    for w, b in layers:
        lin = lib.nn.Linear(w.shape[1], w.shape[0])
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
        mods += [lin, lib.nn.ReLU()]
    model = lib.nn.Sequential(*mods[:-1]).to(DEVICE)
    x, y = lib.tensor(x_np).to(DEVICE), lib.tensor(y_np).to(DEVICE)
    opt = getattr(lib.optim, optimizer)(model.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step, lambda: list(model.parameters())


def make_cross_entropy(lib, rows=4096, classes=1000):
    rng = np.random.default_rng(2)
    logits = lib.tensor(rng.standard_normal((rows, classes)).astype(np.float32)).to(DEVICE).requires_grad_()
    y = lib.tensor(rng.integers(0, classes, rows)).to(DEVICE)

    def step():
        logits.grad = None
        loss = lib.nn.functional.cross_entropy(logits, y)
        loss.backward()
        return loss
    return step, lambda: [logits.grad]


def make_adam(lib, total=10_000_000, tensors=10):
    rng = np.random.default_rng(3)
    n = total // tensors
    params = []
    for _ in range(tensors):
        p = lib.tensor(rng.standard_normal(n).astype(np.float32)).to(DEVICE).requires_grad_()
        p.grad = lib.tensor(rng.standard_normal(n).astype(np.float32)).to(DEVICE)
        params.append(p)
    opt = lib.optim.Adam(params, lr=1e-3)

    def step():
        opt.step()
    return step, lambda: params


# ---------------------------------------------------------------- validation and timing

def to_numpy(t):
    return t.detach().cpu().numpy()


def validate(make_e, make_t, steps=3, rtol=2e-3, atol=2e-4):
    """Runs `steps` calls of each engine from the same start and compares what they return and
    the tensors they update (float32 on both; GEMMs may sum in another order)."""
    (es, ep), (ts, tp) = make_e(), make_t()
    for _ in range(steps):
        el, tl = es(), ts()
        if el is not None:
            np.testing.assert_allclose(to_numpy(el), to_numpy(tl), rtol=rtol, atol=atol)
    for a, b in zip(ep(), tp()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- main

def workloads(torch, quick):
    widths, batches = ([16, 1024], [512]) if quick else (WIDTHS, BATCHES)
    rows = [("MLP 2-16-16-2 step, batch 100, SGD (the tiny step)",
             lambda lib: make_mlp_step(lib, (2, 16, 16, 2), 100, "SGD", 0.1))]
    for w in widths:
        for b in batches:
            rows.append((f"MLP {w}-{w}-{w}-{CLASSES} step, batch {b}, Adam",
                         lambda lib, w=w, b=b: make_mlp_step(lib, (w, w, w, CLASSES), b, "Adam", 1e-3)))
    rows.append(("softmax cross-entropy fwd+bwd, 4096 x 1000", make_cross_entropy))
    rows.append(("Adam step over 1e7 parameters (10 tensors)", make_adam))
    return rows


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    torch, reason = _common.gpu_torch(ember)
    if reason:
        print(f"skipped: {reason}")
        return 0
    syncs = (ember.cuda.synchronize, torch.cuda.synchronize)
    rows = []
    for label, make in workloads(torch, args.quick):
        validate(lambda: make(ember), lambda: make(torch))
        (ember_step, _), (torch_step, _) = make(ember), make(torch)
        res = _common.ember_vs_torch(*_common.interleaved([ember_step, torch_step], args.repeats,
                                                           args.block_ms / 1e3, syncs=syncs))
        del ember_step, torch_step
        rows.append((label, res))
        print(f"  {label}: ember {res['ember_us']:.1f} us, torch {res['torch_us']:.1f} us, "
              f"ratio {res['ratio']:.2f}", file=sys.stderr)
        ember.cuda.empty_cache()
        torch.cuda.empty_cache()

    tiny = rows[0][1]["ratio"]
    wide = [r["ratio"] for label, r in rows if label.startswith("MLP 1024-")]
    targets = [f"tiny MLP step at least 3x faster than torch eager CUDA (ember/torch <= 0.33): "
               f"{tiny:.2f}x, {'met' if tiny <= 1 / 3 else 'NOT met'}"]
    if wide:
        targets.append(f"width-1024 steps within 1.5x of torch (ember/torch <= 1.5): worst {max(wide):.2f}x, "
                       f"{'met' if max(wide) <= 1.5 else 'NOT met'}")
    header = [
        f"date: {datetime.date.today().isoformat()}",
        f"device: {torch.cuda.get_device_name(0)} (ember sees {ember.cuda.device_count()} device(s)); "
        f"host: {platform.node()}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}",
        f"versions: ember {ember.__version__}, torch {torch.__version__} (CUDA {torch.version.cuda}), "
        f"numpy {np.__version__}, python {platform.python_version()}",
        f"method: validated first; {args.repeats} interleaved repeats per row (blocks of ~{args.block_ms:g} ms, "
        "each between two device synchronizes), median per-call time, ratio = median of per-repeat "
        "ember/torch ratios, IQR of those ratios; float32, torch with its defaults (foreach optimizers, no TF32)",
    ]
    table = ["| workload | ember (us/call) | torch (us/call) | ember / torch | IQR of ratio |",
             "|---|---:|---:|---:|---|"]
    for label, r in rows:
        table.append(f"| {label} | {r['ember_us']:.1f} | {r['torch_us']:.1f} | {r['ratio']:.2f}x | "
                     f"{r['iqr'][0]:.2f}-{r['iqr'][1]:.2f} |")
    text = "\n".join(header) + "\n\n" + "\n".join(table) + "\n\n" + "\n".join(f"target: {t}" for t in targets) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# ember vs PyTorch on a GPU: MLP training steps\n\n")
            f.write("".join(f"- {h}\n" for h in header) + "\n" + "\n".join(table) + "\n\n")
            f.write("".join(f"- target: {t}\n" for t in targets))
            f.write(f"\nReproduce with `python bench/gpu_mlp.py --out bench/results/gpu-mlp-$(date +%F).md`.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
