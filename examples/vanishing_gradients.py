"""Vanishing gradients in a deep tanh MLP, seen through tensor hooks.

A 20-layer tanh network is built from raw ember tensors (lists of W and b). A hook on every layer's
output records the norm of the gradient flowing through it during backward. With a too-small
initialisation (std 0.5/sqrt(fan_in)) each layer shrinks the signal, so the gradient norm decays
geometrically toward the input; with Xavier/Glorot initialisation (std sqrt(2/(fan_in+fan_out)))
it stays roughly level.

    PYTHONPATH=python python examples/vanishing_gradients.py
"""
import math

import ember
import ember.nn.functional as F

DEPTH, WIDTH, BATCH, CLASSES = 20, 64, 32, 10


def make_layers(std_of):
    """[(W, b)] for DEPTH tanh layers and a linear head; std_of(fan_in, fan_out) sets the init."""
    sizes = [WIDTH] * (DEPTH + 1) + [CLASSES]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = (ember.randn(fan_in, fan_out) * std_of(fan_in, fan_out)).requires_grad_(True)
        b = ember.zeros(fan_out, requires_grad=True)
        layers.append((w, b))
    return layers


def gradient_norms(layers, x, y):
    """Runs forward + backward; returns the gradient norm at each hidden layer's output (input side first)."""
    norms = [None] * DEPTH
    h = x
    for i, (w, b) in enumerate(layers[:-1]):
        h = (h @ w + b).tanh()
        # The hook sees d loss / d h_i; recording its norm per layer shows where the signal dies.
        h.register_hook(lambda g, i=i: norms.__setitem__(i, (g * g).sum().sqrt().item()))
    w, b = layers[-1]
    loss = F.cross_entropy(h @ w + b, y)
    loss.backward()
    return norms


def main():
    ember.manual_seed(0)
    x = ember.randn(BATCH, WIDTH)
    y = ember.randint(0, CLASSES, (BATCH,))
    inits = {
        "small": lambda fan_in, fan_out: 0.5 / math.sqrt(fan_in),
        "xavier": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
    }
    results = {}
    for name, std_of in inits.items():
        ember.manual_seed(1)
        results[name] = gradient_norms(make_layers(std_of), x, y)

    print(f"{DEPTH}-layer tanh MLP, width {WIDTH}: |d loss / d h_i| per layer")
    print(f"{'layer':>5}  {'small init':>12}  {'xavier init':>12}")
    for i in range(DEPTH):
        print(f"{i + 1:>5}  {results['small'][i]:>12.3e}  {results['xavier'][i]:>12.3e}")
    for name in inits:
        n = results[name]
        print(f"{name} init: first/last layer gradient norm ratio = {n[0] / n[-1]:.3e}")
    small = results["small"][0] / results["small"][-1]
    xavier = results["xavier"][0] / results["xavier"][-1]
    vanishing = small < 1e-3 and 0.1 < xavier < 10.0
    print("vanishing with small init, level with xavier init:", "yes" if vanishing else "no")


if __name__ == "__main__":
    main()
