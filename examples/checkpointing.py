"""Activation checkpointing: train a deep MLP while keeping only every 4th layer's activation.

utils.checkpoint(fn, x) runs fn without keeping the tensors its backward needs, and runs it
again during backward to get them back. The script checks that the gradients are exactly the
ones of the plain network, and prints how many bytes of activations each version held once the
forward pass was done (from ember's allocator counters)."""
import numpy as np

import ember
from ember.utils.checkpoint import checkpoint

DEPTH, WIDTH, BATCH, EVERY = 16, 256, 128, 4


def make_params():
    ember.manual_seed(0)
    return [((ember.randn(WIDTH, WIDTH) / WIDTH ** 0.5).requires_grad_(), ember.zeros(WIDTH, requires_grad=True))
            for _ in range(DEPTH)]


def segment(params):
    def run(h):
        for w, b in params:
            h = (h @ w + b).tanh()
        return h
    return run


def loss_and_held_bytes(params, x, use_checkpoint):
    base = ember._C._memory_stats()["current"]
    h = x
    for i in range(0, DEPTH, EVERY):
        run = segment(params[i:i + EVERY])
        h = checkpoint(run, h) if use_checkpoint else run(h)
    loss = (h * h).mean()
    return loss, ember._C._memory_stats()["current"] - base


if __name__ == "__main__":
    params = make_params()
    x = ember.randn(BATCH, WIDTH)
    results = {}
    for use in (False, True):
        for w, b in params:
            w.grad = b.grad = None
        loss, held = loss_and_held_bytes(params, x, use)
        loss.backward()
        results[use] = ([t.grad.numpy().copy() for p in params for t in p], held, loss.item())
    same = all(np.array_equal(a, b) for a, b in zip(results[False][0], results[True][0]))
    act = BATCH * WIDTH * 4
    print(f"{DEPTH} layers of {WIDTH}, batch {BATCH}: one activation is {act // 1024} KiB")
    print(f"loss {results[False][2]:.6f} (plain) vs {results[True][2]:.6f} (checkpointed); "
          f"gradients identical: {same}")
    for use, name in ((False, "plain"), (True, f"checkpoint every {EVERY} layers")):
        held = results[use][1]
        print(f"{name:>26}: {held / 2 ** 20:.2f} MiB held after forward (~{held / act:.1f} activations)")
