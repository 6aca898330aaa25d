"""A character-level MLP language model that learns to make up names, written with plain tensors the
way PyTorch users write one (an embedding table indexed as C[X], manual SGD through `.data`, draws
from a `torch.Generator`). The same file runs on PyTorch or on ember:

    EMBER_EXAMPLE_BACKEND=torch python examples/names_mlp.py
    EMBER_EXAMPLE_BACKEND=ember python examples/names_mlp.py    (the default)

The names are made here, not downloaded: syllables joined by a seeded rule (see `make_names`).
The model reads the last 3 characters, looks each up in an embedding table, and passes the joined
embeddings through Linear - [BatchNorm] - tanh - Linear to the logits of the next character.
Options: --steps N (default 6000), --seed S (default 2147483647), --batchnorm, --samples K (default 10).
"""
import argparse
import os
import random

BACKEND = os.environ.get("EMBER_EXAMPLE_BACKEND", "ember")
if BACKEND == "torch":
    import torch
elif BACKEND == "ember":
    import ember as torch
else:
    raise SystemExit(f"EMBER_EXAMPLE_BACKEND must be 'torch' or 'ember', got {BACKEND!r}")
F = torch.nn.functional

BLOCK_SIZE = 3     # characters of context
N_EMBD = 10        # embedding width per character
N_HIDDEN = 200
END = "."          # starts the context and ends every name; index 0
BN_MOMENTUM = 0.001
BN_EPS = 1e-5

ONSETS = ["", "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
          "br", "dr", "kr", "st", "sh", "th", "ch", "tr", "gl"]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "", "", "n", "r", "l", "s", "m", "th", "nd", "x"]
ENDINGS = ["", "", "a", "ia", "o", "us", "ine", "ett", "wyn", "son"]


def make_names(count=3000, seed=7):
    """`count` distinct pronounceable names: 1-3 syllables (onset + vowel + coda) and an ending, chosen
    by a seeded `random.Random`, so every run and both backends see the same list."""
    rng = random.Random(seed)
    names = set()
    while len(names) < count:
        syllables = rng.choice([1, 2, 2, 2, 3, 3])
        name = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables))
        name += rng.choice(ENDINGS)
        if 3 <= len(name) <= 12:
            names.add(name)
    names = sorted(names)     # a set's order depends on string hashing; sort, then shuffle with the seed
    rng.shuffle(names)
    return names


def build_vocab(names):
    chars = sorted(set("".join(names)))
    stoi = {ch: i + 1 for i, ch in enumerate(chars)}
    stoi[END] = 0
    itos = {i: ch for ch, i in stoi.items()}
    return stoi, itos


def build_dataset(names, stoi):
    """Every (context of BLOCK_SIZE characters -> next character) pair in `names`."""
    contexts, targets = [], []
    for name in names:
        context = [0] * BLOCK_SIZE
        for ch in name + END:
            ix = stoi[ch]
            contexts.append(context)
            targets.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(contexts), torch.tensor(targets)


def init_params(vocab_size, g, batchnorm=False):
    """The weights as plain leaf tensors, drawn from `g`. Scaled so tanh starts out of saturation and
    the first logits are near zero (a first loss near -log(1/vocab_size))."""
    fan_in = BLOCK_SIZE * N_EMBD
    params = {
        "C": torch.randn((vocab_size, N_EMBD), generator=g),
        "W1": torch.randn((fan_in, N_HIDDEN), generator=g) * (5 / 3) / fan_in ** 0.5,
        "b1": torch.randn(N_HIDDEN, generator=g) * 0.01,
        "W2": torch.randn((N_HIDDEN, vocab_size), generator=g) * 0.01,
        "b2": torch.zeros(vocab_size),
    }
    if batchnorm:
        # The batch statistics take over b1's job of shifting the pre-activation, so b1 is left out.
        del params["b1"]
        params["bn_gain"] = torch.ones((1, N_HIDDEN))
        params["bn_bias"] = torch.zeros((1, N_HIDDEN))
    for p in params.values():
        p.requires_grad = True
    return params


def init_buffers(batchnorm=False):
    """Running batch statistics, used instead of the batch's own when sampling or evaluating."""
    if not batchnorm:
        return {}
    return {"running_mean": torch.zeros((1, N_HIDDEN)), "running_var": torch.ones((1, N_HIDDEN))}


def forward(params, buffers, X, training):
    """Logits (batch, vocab_size) of the character after each context in X (batch, BLOCK_SIZE)."""
    emb = params["C"][X]                                  # (batch, BLOCK_SIZE, N_EMBD)
    hpre = emb.view(emb.shape[0], -1) @ params["W1"]
    if "b1" in params:
        hpre = hpre + params["b1"]
    if "bn_gain" in params:
        if training:
            mean = hpre.mean(0, keepdim=True)
            var = hpre.var(0, keepdim=True, unbiased=False)
            with torch.no_grad():
                # PyTorch's BatchNorm keeps the unbiased variance as its running estimate.
                n = hpre.shape[0]
                buffers["running_mean"].mul_(1 - BN_MOMENTUM).add_(BN_MOMENTUM * mean)
                buffers["running_var"].mul_(1 - BN_MOMENTUM).add_(BN_MOMENTUM * var * n / (n - 1))
        else:
            mean, var = buffers["running_mean"], buffers["running_var"]
        hpre = params["bn_gain"] * (hpre - mean) / torch.sqrt(var + BN_EPS) + params["bn_bias"]
    h = torch.tanh(hpre)
    return h @ params["W2"] + params["b2"]


def learning_rate(step, steps):
    return 0.1 if step < steps * 3 // 4 else 0.01


def train(params, buffers, Xtr, Ytr, steps, g, batch_size=32, batch_indices=None, log_every=0):
    """Minibatch SGD written out by hand. The minibatch rows are drawn from `g`, or taken from
    `batch_indices` (steps x batch_size) when given, so two runs can see the same batches.
    Returns the loss of every step."""
    losses = []
    for step in range(steps):
        if batch_indices is None:
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        else:
            ix = batch_indices[step]
        logits = forward(params, buffers, Xtr[ix], training=True)
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in params.values():
            p.grad = None
        loss.backward()
        lr = learning_rate(step, steps)
        for p in params.values():
            p.data += -lr * p.grad
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:6d}/{steps}: loss {loss.item():.4f}")
    return losses


@torch.no_grad()
def split_loss(params, buffers, X, Y):
    return F.cross_entropy(forward(params, buffers, X, training=False), Y).item()


@torch.no_grad()
def sample_names(params, buffers, itos, g, count, max_len=20):
    names = []
    for _ in range(count):
        context, out = [0] * BLOCK_SIZE, []
        while len(out) < max_len:
            logits = forward(params, buffers, torch.tensor([context]), training=False)
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            if ix == 0:
                break
            out.append(itos[ix])
            context = context[1:] + [ix]
        names.append("".join(out))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=2147483647)
    ap.add_argument("--batchnorm", action="store_true")
    ap.add_argument("--samples", type=int, default=10)
    args = ap.parse_args()

    names = make_names()
    stoi, itos = build_vocab(names)
    n1, n2 = int(0.8 * len(names)), int(0.9 * len(names))
    Xtr, Ytr = build_dataset(names[:n1], stoi)
    Xval, Yval = build_dataset(names[n1:n2], stoi)

    g = torch.Generator().manual_seed(args.seed)
    params = init_params(len(stoi), g, batchnorm=args.batchnorm)
    buffers = init_buffers(batchnorm=args.batchnorm)
    print(f"backend: {BACKEND}")
    print(f"names: {len(names)} (e.g. {', '.join(names[:5])}), vocab: {len(stoi)}, "
          f"train examples: {Xtr.shape[0]}, parameters: {sum(p.numel() for p in params.values())}")
    train(params, buffers, Xtr, Ytr, args.steps, g, log_every=max(1, args.steps // 10))
    print(f"train loss: {split_loss(params, buffers, Xtr, Ytr):.4f}")
    print(f"val loss: {split_loss(params, buffers, Xval, Yval):.4f}")
    print("samples:", " ".join(sample_names(params, buffers, itos, g, args.samples)))


if __name__ == "__main__":
    main()
