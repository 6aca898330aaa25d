"""The CNN row of `ember bench`: one training step of examples/cnn_digits.py's network at MNIST size.

Batch 64 of 1 x 28 x 28 images: Conv(1->16, 3x3, pad 1) - ReLU - MaxPool 2 - Conv(16->32, 3x3,
pad 1) - ReLU - AdaptiveAvgPool 1 - Flatten - Linear(32->10), cross-entropy, backward, and a plain
SGD update (p -= lr * grad) under no_grad, on ember and PyTorch from the same float32 data and
weights. The step is written once against the shared torch-like API (lib = ember or torch).
"""
import numpy as np

from .workloads import Row, _rng, sgd_step_case

CNN_BATCH, CNN_SIDE = 64, 28


def cnn_data(batch=CNN_BATCH, side=CNN_SIDE, seed=5):
    """Images, labels and initial [conv1.w, conv1.b, conv2.w, conv2.b, fc.w, fc.b] (float32)."""
    rng = _rng(seed)
    x = rng.random((batch, 1, side, side), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (10, 32), (10,)]
    params = []
    for s in shapes:
        fan_in = int(np.prod(s[1:])) if len(s) > 1 else 16
        params.append((rng.uniform(-1, 1, s) / np.sqrt(fan_in)).astype(np.float32))
    return x, y, params


def _cnn_step(engine, x_np, y_np, params_np):
    lib = engine.lib
    F = lib.nn.functional
    x, y = engine.tensor(x_np), engine.tensor(y_np)

    def make():
        params = [engine.tensor(p, requires_grad=True) for p in params_np]
        w1, b1, w2, b2, wf, bf = params

        def forward_backward():
            h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2)
            h = F.adaptive_avg_pool2d(F.relu(F.conv2d(h, w2, b2, padding=1)), 1)
            loss = F.cross_entropy(F.linear(h.flatten(1), wf, bf), y)
            loss.backward()
            return loss

        return params, forward_backward

    return sgd_step_case(engine, make)


def cnn_row(batch=CNN_BATCH, side=CNN_SIDE):
    x_np, y_np, params_np = cnn_data(batch, side)

    def build(engine):
        return _cnn_step(engine, x_np, y_np, params_np)

    def skip(engine):
        return None if engine.kind in ("ember", "torch") else "no conv2d in this engine"
    label = f"CNN conv-pool-conv-gap-linear step, batch {batch}x1x{side}x{side}"
    return Row("cnn", label, build, skip, rtol=1e-3, size=sum(p.size for p in params_np))
