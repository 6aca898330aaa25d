"""The `ember` command (also `python -m ember`): train (the main job), eval, run (N ranks of a
script, ember.distributed.launch), bench, info."""
import argparse
import datetime
import os
import sys

import ember


def _hidden(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints like 64,64, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def _positive(kind):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return v
    return parse


def build_parser():
    from .apps.train import ACTIVATIONS, OPTIMIZERS
    from .data import ALL_DATASETS
    p = argparse.ArgumentParser(prog="ember", description="ember: a native tensor engine with autograd")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train an MLP on a built-in dataset",
                       description="Train an MLP; writes model.safetensors, metrics.csv, config.json and "
                                   "pictures and an index.html report into --out.")
    t.add_argument("--dataset", choices=list(ALL_DATASETS), default="spirals")
    t.add_argument("--data", metavar="DIR", help="folder with the IDX files (mnist / fashion-mnist)")
    t.add_argument("--hidden", type=_hidden, default=[64, 64], help="hidden sizes, e.g. 64,64 (default)")
    t.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    t.add_argument("--epochs", type=_positive(int), default=60)
    t.add_argument("--batch-size", type=_positive(int), default=64)
    t.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    t.add_argument("--lr", type=_positive(float), default=1e-2)
    t.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--log-every", type=_positive(int), default=1,
                   help="read the loss back every N steps (each read is a sync on a GPU)")
    t.add_argument("--out", metavar="DIR", help="run folder (default runs/<dataset>-<time>)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--profile", type=_positive(int), nargs="?", const=5, default=0, metavar="STEPS",
                   help="profile STEPS training steps (5 by default) after the first: trace.json and profile.txt "
                        "in the run folder")
    t.add_argument("--nproc", type=_positive(int), default=1, metavar="N",
                   help="train data-parallel on N CPU ranks (DistributedDataParallel over MPI, started through "
                        "ember run); --batch-size stays the global batch")
    e = sub.add_parser("eval", help="reload a run's model and score it")
    e.add_argument("--checkpoint", metavar="DIR", required=True, help="a run folder written by ember train")
    # `ember bench ...` hands its arguments to the suite's own parser (see main).
    sub.add_parser("bench", help="the benchmark suite (ember vs pure-Python engines vs PyTorch); "
                                 "ember bench --help lists its options")
    r = sub.add_parser("run", help="run a script on N ranks (ember.distributed over MPI), as torchrun",
                       description="Starts N ranks of SCRIPT through mpiexec with RANK, WORLD_SIZE, LOCAL_RANK, "
                                   "LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, as torchrun does; the script "
                                   "calls ember.distributed.init_process_group().")
    r.add_argument("-n", "--nproc", "--nproc-per-node", dest="nproc", type=_positive(int), required=True,
                   metavar="N", help="number of ranks")
    r.add_argument("-m", "--module", action="store_true", help="SCRIPT is a module name, as python -m")
    r.add_argument("--hostfile", metavar="FILE", help="hosts to spread the ranks over (mpiexec -f)")
    r.add_argument("script", metavar="SCRIPT")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments for SCRIPT")
    sub.add_parser("info", help="print version and build flags")
    return p


def _train(args, parser, argv):
    from .apps.train import IDX_DATASETS, train
    if args.device.split(":")[0] not in ("cpu", "cuda"):
        parser.error(f"argument --device: expected cpu or cuda[:N], got {args.device!r}")
    if args.dataset in IDX_DATASETS and not args.data:
        parser.error(f"--dataset {args.dataset} needs --data DIR (ember does not download data sets)")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or os.path.join("runs", f"{args.dataset}-{stamp}")
    if args.nproc > 1 and os.environ.get("EMBER_RUN") != "1":
        # Start the ranks, each running this command again (one run folder for all: --out is fixed here).
        from .apps.train_parallel import relaunch
        return relaunch(args.nproc, argv, out)
    config = dict(dataset=args.dataset, data=args.data, hidden=args.hidden, activation=args.activation,
                  epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
                  device=args.device, seed=args.seed, log_every=args.log_every, profile=args.profile, nproc=args.nproc)
    train(config, out, progress=not args.no_progress and sys.stderr.isatty())
    return 0


def _info():
    print(ember.__config__.show(), end="")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from . import bench
        return bench.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return _train(args, parser, argv)
        if args.command == "run":
            from .distributed.launch import run
            return run(args.nproc, args.script, args.args, module=args.module, hostfile=args.hostfile)
        if args.command == "eval":
            from .apps.train import evaluate_checkpoint
            evaluate_checkpoint(args.checkpoint)
            return 0
        return _info()
    except (FileNotFoundError, ValueError, ImportError, RuntimeError) as e:
        # A user-level problem (missing files, no CUDA, ...): one clear line, no traceback.
        print(f"ember {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
