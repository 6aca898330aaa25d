"""The `ember` command: `ember train` (the main job), `ember info`."""
import argparse
import math
import sys
import time

import ember

from . import data


def _parse_hidden(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints like 64,64, got {text!r}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def _positive(kind):
    def parse(text):
        v = kind(text)
        if v <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return v
    return parse


class MLP:
    """Linear layers with PyTorch's default init (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""

    def __init__(self, sizes, activation):
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            W = ember.empty(fan_out, fan_in).uniform_(-bound, bound).requires_grad_()
            b = ember.empty(fan_out).uniform_(-bound, bound).requires_grad_()
            self.params += [W, b]
        self.activation = activation

    def __call__(self, x):
        n = len(self.params) // 2
        for i in range(n):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            x = x @ W.T + b
            if i < n - 1:
                x = getattr(x, self.activation)()
        return x


class Adam:
    """Adam with PyTorch's defaults; each update is a few native in-place ops per parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [ember.zeros_like(p) for p in params]
        self.v = [ember.zeros_like(p) for p in params]

    @ember.no_grad()
    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).add_(g * g, alpha=1 - b2)
            p.sub_((m / c1) / ((v / c2).sqrt() + self.eps) * self.lr)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class SGD:
    def __init__(self, params, lr=0.1):
        self.params, self.lr = params, lr

    @ember.no_grad()
    def step(self):
        for p in self.params:
            p.sub_(p.grad, alpha=self.lr)

    zero_grad = Adam.zero_grad


def _accuracy(model, X, y):
    with ember.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def train(args):
    ember.manual_seed(args.seed)
    X, y = data.load(args.dataset, seed=args.seed)
    n = X.shape[0]
    perm = ember.randperm(n)
    n_test = n // 5
    X_test, y_test = X[perm[:n_test]], y[perm[:n_test]]
    X_train, y_train = X[perm[n_test:]], y[perm[n_test:]]
    classes = int(y.max().item()) + 1
    model = MLP([X.shape[1]] + args.hidden + [classes], args.activation)
    opt = (Adam if args.optimizer == "adam" else SGD)(model.params, lr=args.lr)
    print(f"ember {ember.__version__}: training {args.dataset} ({n - n_test} train / {n_test} test points), "
          f"MLP {'-'.join(str(s) for s in [X.shape[1]] + args.hidden + [classes])}, {args.optimizer} "
          f"lr={args.lr}, {args.epochs} epochs, batch {args.batch_size}")
    start = time.perf_counter()
    n_train = n - n_test
    for epoch in range(1, args.epochs + 1):
        order = ember.randperm(n_train)
        total, batches = 0.0, 0
        for lo in range(0, n_train, args.batch_size):
            idx = order[lo:lo + args.batch_size]
            loss = ember.nn.functional.cross_entropy(model(X_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        if epoch == 1 or epoch % max(1, args.epochs // 10) == 0 or epoch == args.epochs:
            print(f"epoch {epoch:4d}  loss {total / batches:.4f}  train acc {_accuracy(model, X_train, y_train):.3f}")
    elapsed = time.perf_counter() - start
    print(f"done in {elapsed:.1f} s; train accuracy {_accuracy(model, X_train, y_train):.3f}, "
          f"test accuracy {_accuracy(model, X_test, y_test):.3f}")
    return 0


def info(args):
    b = ember._C._build_info()
    print(f"ember {ember.__version__}")
    print(f"compiler: {b['compiler']}; -march=native: {b['native_arch']}; OpenMP: {b['openmp']} "
          f"({b['threads']} threads)")
    print(f"CUDA backend built: {b['cuda']}; CUDA available: {ember.cuda.is_available()}; "
          f"devices: {ember.cuda.device_count()}")
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="ember", description="ember: a native tensor engine with autograd")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train an MLP on a built-in dataset")
    t.add_argument("--dataset", choices=sorted(data.DATASETS), default="spirals")
    t.add_argument("--hidden", type=_parse_hidden, default=[64, 64], help="hidden sizes, e.g. 64,64")
    t.add_argument("--activation", choices=["relu", "tanh", "sigmoid"], default="relu")
    t.add_argument("--epochs", type=_positive(int), default=200)
    t.add_argument("--batch-size", type=_positive(int), default=64)
    t.add_argument("--optimizer", choices=["sgd", "adam"], default="adam")
    t.add_argument("--lr", type=_positive(float), default=1e-2)
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=train)
    i = sub.add_parser("info", help="print version and build flags")
    i.set_defaults(func=info)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
