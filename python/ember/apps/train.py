"""`ember train`: an MLP on a built-in dataset, written the way a PyTorch user writes it
(nn.Sequential, CrossEntropyLoss, an optimizer, a DataLoader), plus the files of a run:
model.safetensors, metrics.csv, config.json and pictures (apps/plots.py).

Note [Training on a GPU]: with --device cuda the model and the whole dataset are moved to the
device once, before the first epoch; the DataLoader then makes each batch on the device (its
epoch's permutation is moved there once per epoch, Note [Batches of device-resident data]), and
the optimizer's update is one multi-tensor launch per param group. So a step queues kernels and
never waits for the GPU, except on the steps that read the loss back (every --log-every steps,
one sync for loss and accuracy together) and at the end of an epoch (evaluation)."""
import contextlib
import csv
import json
import os
import time

import numpy as np

import ember
from ember import data, nn, optim

from . import train_parallel

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW}
IDX_DATASETS = ("mnist", "fashion_mnist")  # read from local files given by --data


class StepProfile:
    """--profile N: the training steps 2 to N + 1 (the first one warms up) under ember.profiler,
    each a record_function range, written to the run folder as trace.json (Chrome trace: Perfetto,
    chrome://tracing) and profile.txt (the key_averages table)."""

    def __init__(self, steps, out_dir, log):
        self.steps, self.out_dir, self.log = steps, out_dir, log
        self.prof = None

    def around(self, step):
        if self.steps and step == 1:
            self.prof = ember.profiler.profile(record_shapes=True).__enter__()
        if self.prof is None:
            return contextlib.nullcontext()
        return ember.profiler.record_function(f"step {step}")

    def after(self, step):
        if self.prof is not None and step == self.steps:
            self.finish()

    def finish(self):
        if self.prof is None:
            return
        self.prof.__exit__(None, None, None)
        self.prof.export_chrome_trace(os.path.join(self.out_dir, "trace.json"))
        with open(os.path.join(self.out_dir, "profile.txt"), "w") as f:
            f.write(self.prof.key_averages().table(row_limit=40))
        self.log(f"profile of {self.steps} steps: {os.path.join(self.out_dir, 'trace.json')} (open it in "
                 f"ui.perfetto.dev or chrome://tracing) and profile.txt")
        self.prof = None


def build_model(in_features, hidden, classes, activation):
    layers, width = [], in_features
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def load_split(config):
    """The train/test split of a run (the same for train and eval): MNIST-style sets come with
    their own test files; the others are split 80/20 by a permutation that depends on the seed
    alone, not on ember's generator state."""
    if config["dataset"] in IDX_DATASETS:
        train = data.load(config["dataset"], data=config.get("data"), train=True)
        test = data.load(config["dataset"], data=config.get("data"), train=False)
        return train, test
    X, y = data.load(config["dataset"], seed=config["seed"])
    n = X.shape[0]
    perm = ember.tensor(np.random.default_rng(config["seed"]).permutation(n))
    n_test = max(1, n // 5)
    test, train = perm[:n_test], perm[n_test:]
    return (X[train], y[train]), (X[test], y[test])


@ember.no_grad()
def evaluate(model, X, y, criterion):
    model.eval()
    logits = model(X)
    loss = criterion(logits, y).item()
    acc = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, acc


def _progress(iterable, total, desc, enabled):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, unit="batch", dynamic_ncols=True)


def train(config, out_dir, progress=True, log=print):
    """Trains; returns the scores (None on the ranks other than 0 of --nproc N)."""
    device = config["device"]
    ranks = train_parallel.setup(config)  # Note [Training on N ranks]
    log = train_parallel.quiet(log, ranks)
    progress = progress and ranks.is_main
    if device != "cpu":
        ember.zeros(1).to(device)  # raises the clear "not available" error before any work
    ember.manual_seed(config["seed"])
    (X_train, y_train), (X_test, y_test) = load_split(config)
    classes = int(max(y_train.max().item(), y_test.max().item())) + 1
    # The same initial weights on every device: made on the CPU by the seeded generator, then moved.
    model = build_model(X_train.shape[1], config["hidden"], classes, config["activation"]).to(device)
    trained = ranks.wrap(model)  # DistributedDataParallel on N ranks; `model` stays the plain module
    X_train, y_train, X_test, y_test = (t.to(device) for t in (X_train, y_train, X_test, y_test))
    criterion = nn.CrossEntropyLoss()
    optimizer = OPTIMIZERS[config["optimizer"]](model.parameters(), lr=config["lr"])
    loader = ranks.loader(data.TensorDataset(X_train, y_train), config["batch_size"], config["seed"])
    sizes = "-".join(str(s) for s in [X_train.shape[1], *config["hidden"], classes])
    log(f"ember {ember.__version__}: {config['dataset']} ({X_train.shape[0]} train / {X_test.shape[0]} test), "
        f"MLP {sizes} {config['activation']}, {config['optimizer']} lr={config['lr']}, "
        f"{config['epochs']} epochs of {ranks.describe_batch(config['batch_size'])}, out: {out_dir}")
    if not ranks.is_main:
        _train_epochs(config, ranks, trained, criterion, optimizer, loader, None, None, None, log, False)
        ranks.finish()
        return None

    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({**config, "classes": classes, "in_features": X_train.shape[1]}, f, indent=2)
    start = time.perf_counter()
    profile = StepProfile(config.get("profile", 0), out_dir, log)
    rows = _train_epochs(config, ranks, trained, criterion, optimizer, loader, (X_test, y_test), profile, start, log,
                         progress)
    profile.finish()  # fewer steps than --profile asked for
    _, train_acc = evaluate(model, X_train, y_train, criterion)
    model.to("cpu")  # the checkpoint and the pictures are made on the host
    X_train, y_train = X_train.to("cpu"), y_train.to("cpu")
    ember.save(model.state_dict(), os.path.join(out_dir, "model.safetensors"))
    with open(os.path.join(out_dir, "metrics.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    from . import plots, report
    pictures = plots.save_run_pictures(out_dir, rows, model, X_train, y_train)
    scores = dict(train_acc=train_acc, test_acc=rows[-1]["test_acc"])
    page = report.write_report(out_dir, config, rows, model, pictures, scores)
    log(f"done in {time.perf_counter() - start:.1f} s: train accuracy {train_acc:.3f}, "
        f"test accuracy {rows[-1]['test_acc']:.3f}")
    log(f"wrote {', '.join(['model.safetensors', 'metrics.csv', 'config.json'] + pictures + [page])} to {out_dir}")
    if not pictures:
        log(f"(matplotlib is not installed: no pictures; the curves are in {os.path.join(out_dir, 'metrics.csv')})")
    log(f"report: {os.path.join(os.path.abspath(out_dir), page)}")
    ranks.finish()
    return dict(scores, out_dir=out_dir)


def _train_epochs(config, ranks, model, criterion, optimizer, loader, test, profile, start, log, progress):
    """The epochs; on rank 0 (or alone) each ends with an evaluation and a metrics row."""
    rows = []
    steps_done = 0
    for epoch in range(1, config["epochs"] + 1):
        ranks.start_epoch(loader, epoch)
        total, seen, correct = 0.0, 0, 0
        bar = _progress(loader, len(loader), f"epoch {epoch}/{config['epochs']}", progress)
        for step, (xb, yb) in enumerate(bar):
            with profile.around(steps_done) if profile else contextlib.nullcontext():
                logits = model(xb)
                loss = criterion(logits, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                # Reading the loss is a host sync on a GPU: do it once every few steps only, and
                # read loss and accuracy together (one sync).
                if step % config["log_every"] == 0 or step == len(loader) - 1:
                    with ember.no_grad():
                        hits = (logits.argmax(dim=1) == yb).sum().to(loss.dtype)
                        batch_loss, batch_correct = ember.stack([loss.detach(), hits]).tolist()
                    seen += yb.shape[0]
                    correct += int(batch_correct)
                    total += batch_loss * yb.shape[0]
                    if bar is not loader:
                        bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.3f}")
            if profile:
                profile.after(steps_done)
            steps_done += 1
        total, seen, correct = ranks.sum_over_ranks([total, seen, correct])
        if not ranks.is_main:
            continue
        test_loss, test_acc = evaluate(getattr(model, "module", model), *test, criterion)  # rank 0 alone: no DDP
        row = dict(epoch=epoch, train_loss=total / seen, train_acc=correct / seen, test_loss=test_loss,
                   test_acc=test_acc, seconds=time.perf_counter() - start)
        rows.append(row)
        log(f"epoch {epoch:4d}  train loss {row['train_loss']:.4f}  acc {row['train_acc']:.3f}  "
            f"test loss {test_loss:.4f}  acc {test_acc:.3f}")
    return rows


def evaluate_checkpoint(run_dir, log=print):
    """Rebuilds the model of a run from config.json + model.safetensors and scores it."""
    config_path = os.path.join(run_dir, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(f"{run_dir} is not an ember run directory (no config.json)")
    with open(config_path) as f:
        config = json.load(f)
    model = build_model(config["in_features"], config["hidden"], config["classes"], config["activation"])
    model.load_state_dict(ember.load(os.path.join(run_dir, "model.safetensors")))
    (X_train, y_train), (X_test, y_test) = load_split(config)
    criterion = nn.CrossEntropyLoss()
    train_loss, train_acc = evaluate(model, X_train, y_train, criterion)
    test_loss, test_acc = evaluate(model, X_test, y_test, criterion)
    log(f"{config['dataset']}: train loss {train_loss:.4f} accuracy {train_acc:.3f}; "
        f"test loss {test_loss:.4f} accuracy {test_acc:.3f}")
    return dict(train_acc=train_acc, test_acc=test_acc)
