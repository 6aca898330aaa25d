"""A small CNN on the 8x8 handwritten digits that ship with scikit-learn, written as a PyTorch user
writes it. The same file runs on PyTorch or on ember:

    EMBER_EXAMPLE_BACKEND=torch python examples/cnn_digits.py
    EMBER_EXAMPLE_BACKEND=ember python examples/cnn_digits.py    (the default)

Conv(1->16, 3x3, pad 1) - ReLU - MaxPool 2 - Conv(16->32, 3x3, pad 1) - ReLU - global average pool -
Flatten - Linear(32->10), trained with Adam on 1500 images and scored on the other 297.
Options: --epochs N (default 15), --seed S (default 0).
"""
import argparse
import os

import numpy as np

BACKEND = os.environ.get("EMBER_EXAMPLE_BACKEND", "ember")
if BACKEND == "torch":
    import torch
elif BACKEND == "ember":
    import ember as torch
else:
    raise SystemExit(f"EMBER_EXAMPLE_BACKEND must be 'torch' or 'ember', got {BACKEND!r}")
nn = torch.nn
F = torch.nn.functional

N_TRAIN = 1500


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),   # 16 x 8 x 8
            nn.ReLU(),
            nn.MaxPool2d(2),                              # 16 x 4 x 4
            nn.Conv2d(16, 32, kernel_size=3, padding=1),  # 32 x 4 x 4
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),                      # 32 x 1 x 1
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def load_digits():
    """Images (1797, 1, 8, 8) float32 in [0, 1] and labels (1797,) int64, in a fixed shuffled order."""
    if BACKEND == "ember":
        X, y = torch.data.digits()
        X, y = X.numpy(), y.numpy()
    else:  # the same arrays ember.data.digits() returns
        from sklearn.datasets import load_digits as sk_digits
        d = sk_digits()
        X, y = (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
    order = np.random.default_rng(1234).permutation(len(y))
    return torch.tensor(X[order].reshape(-1, 1, 8, 8)), torch.tensor(y[order])


def train(model, X, y, epochs, batch_size=64, lr=0.01, seed=0, max_steps=None):
    """Adam on shuffled minibatches (the order drawn with NumPy, so it is the same on both backends).
    Returns the loss of every step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for epoch in range(epochs):
        perm = np.random.default_rng(seed + epoch).permutation(len(y))
        for start in range(0, len(perm), batch_size):
            idx = torch.tensor(perm[start:start + batch_size])
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if max_steps is not None and len(losses) >= max_steps:
                return losses
    return losses


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    X, y = load_digits()
    model = DigitsCNN()
    losses = train(model, X[:N_TRAIN], y[:N_TRAIN], args.epochs, seed=args.seed)
    print(f"backend: {BACKEND}")
    print(f"steps: {len(losses)}")
    print(f"final loss: {np.mean(losses[-10:]):.4f}")
    print(f"train accuracy: {accuracy(model, X[:N_TRAIN], y[:N_TRAIN]):.4f}")
    print(f"test accuracy: {accuracy(model, X[N_TRAIN:], y[N_TRAIN:]):.4f}")


if __name__ == "__main__":
    main()
