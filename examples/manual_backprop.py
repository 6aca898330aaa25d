"""Backpropagation by hand: a 2-layer MLP with BatchNorm and a cross-entropy loss is written as small
tensor ops, autograd computes the gradient of every intermediate (`retain_grad()`), and the same
gradients are derived by hand with tensor ops and checked against autograd's. The same file runs on
PyTorch or on ember:

    EMBER_EXAMPLE_BACKEND=torch python examples/manual_backprop.py
    EMBER_EXAMPLE_BACKEND=ember python examples/manual_backprop.py    (the default)

The network: an embedding table C looked up by 3 token ids per example, Linear - BatchNorm (batch
statistics) - tanh - Linear, and a log-softmax written logsumexp-style (shift by the row max, exp,
sum, log). Each check prints: name, whether the hand gradient equals autograd's bit for bit, whether
it is allclose, and the largest difference. Options: --seed S (default 42), --batch B (default 32).
"""
import argparse
import os

BACKEND = os.environ.get("EMBER_EXAMPLE_BACKEND", "ember")
if BACKEND == "torch":
    import torch
elif BACKEND == "ember":
    import ember as torch
else:
    raise SystemExit(f"EMBER_EXAMPLE_BACKEND must be 'torch' or 'ember', got {BACKEND!r}")
F = torch.nn.functional

VOCAB, CONTEXT, N_EMBD, N_HIDDEN, N_CLASSES = 27, 3, 10, 64, 27
EPS = 1e-5
# Hand and autograd gradients add the same terms in different orders, so float32 results may differ
# in the last bits; these bounds are far below any mistake in a derivation.
RTOL, ATOL = 1e-5, 1e-7


def make_problem(g, batch):
    """Weights and a minibatch of token ids and targets drawn from `g`. Weights are scaled away from
    the usual small init (and the biases made non-zero) so no gradient is trivially zero."""
    params = {
        "C": torch.randn((VOCAB, N_EMBD), generator=g),
        "W1": torch.randn((CONTEXT * N_EMBD, N_HIDDEN), generator=g) * (5 / 3) / (CONTEXT * N_EMBD) ** 0.5,
        "b1": torch.randn(N_HIDDEN, generator=g) * 0.1,
        "bn_gain": torch.randn((1, N_HIDDEN), generator=g) * 0.1 + 1.0,
        "bn_bias": torch.randn((1, N_HIDDEN), generator=g) * 0.1,
        "W2": torch.randn((N_HIDDEN, N_CLASSES), generator=g) * 0.1,
        "b2": torch.randn(N_CLASSES, generator=g) * 0.1,
    }
    for p in params.values():
        p.requires_grad = True
    X = torch.randint(0, VOCAB, (batch, CONTEXT), generator=g)
    Y = torch.randint(0, N_CLASSES, (batch,), generator=g)
    return params, X, Y


def forward(params, X, Y):
    """The loss and every intermediate, by name, each with retain_grad() so autograd keeps its gradient."""
    p = params
    B = X.shape[0]
    t = {}
    t["emb"] = p["C"][X]                                       # (B, CONTEXT, N_EMBD)
    t["x"] = t["emb"].view(B, -1)                               # (B, CONTEXT*N_EMBD)
    t["z"] = t["x"] @ p["W1"] + p["b1"]                         # (B, N_HIDDEN)
    # BatchNorm in training mode, normalising with the biased batch variance as nn.BatchNorm1d does.
    t["mu"] = t["z"].sum(0, keepdim=True) / B
    t["centered"] = t["z"] - t["mu"]
    t["sq"] = t["centered"] * t["centered"]
    t["var"] = t["sq"].sum(0, keepdim=True) / B
    t["inv_std"] = (t["var"] + EPS) ** -0.5
    t["zhat"] = t["centered"] * t["inv_std"]
    t["zbn"] = p["bn_gain"] * t["zhat"] + p["bn_bias"]
    t["a"] = torch.tanh(t["zbn"])
    t["logits"] = t["a"] @ p["W2"] + p["b2"]                    # (B, N_CLASSES)
    # log-softmax, logsumexp-style: shifting by the row max keeps exp() finite and cancels out.
    t["row_max"] = t["logits"].max(dim=1, keepdim=True).values
    t["shifted"] = t["logits"] - t["row_max"]
    t["expd"] = t["shifted"].exp()
    t["sum_exp"] = t["expd"].sum(1, keepdim=True)
    t["log_sum_exp"] = t["sum_exp"].log()
    t["logp"] = t["shifted"] - t["log_sum_exp"]
    t["picked"] = t["logp"][torch.arange(B), Y]                 # log-probability of each target
    loss = -t["picked"].mean()
    for tensor in t.values():
        tensor.retain_grad()
    return loss, t


def hand_gradients(params, X, Y, t):
    """d loss / d (each intermediate and each weight), from the chain rule, one step per forward op,
    walking the forward pass backwards. Returns them by name."""
    p = params
    B = X.shape[0]
    d = {}
    # loss = -mean(picked)
    d["picked"] = torch.full((B,), -1.0 / B)
    # picked[i] = logp[i, Y[i]]: the gradient lands on the picked entries only.
    d["logp"] = F.one_hot(Y, N_CLASSES).float() * d["picked"].view(B, 1)
    # logp = shifted - log_sum_exp (broadcast over the row, so the row's gradients sum)
    d["log_sum_exp"] = -d["logp"].sum(1, keepdim=True)
    d["sum_exp"] = d["log_sum_exp"] / t["sum_exp"]
    d["expd"] = d["sum_exp"].expand_as(t["expd"])               # sum: every term gets the gradient
    d["shifted"] = d["logp"] + d["expd"] * t["expd"]            # two uses: logp directly, and exp
    d["row_max"] = -d["shifted"].sum(1, keepdim=True)           # ~0: the shift cancels in exact maths
    # logits feed `shifted` directly and the max at its argmax.
    argmax = t["logits"].argmax(dim=1)
    d["logits"] = d["shifted"] + F.one_hot(argmax, N_CLASSES).float() * d["row_max"]
    d["a"] = d["logits"] @ p["W2"].T
    d["W2"] = t["a"].T @ d["logits"]
    d["b2"] = d["logits"].sum(0)
    d["zbn"] = (1 - t["a"] ** 2) * d["a"]                       # tanh' = 1 - tanh^2
    d["bn_gain"] = (t["zhat"] * d["zbn"]).sum(0, keepdim=True)
    d["bn_bias"] = d["zbn"].sum(0, keepdim=True)
    d["zhat"] = p["bn_gain"] * d["zbn"]
    d["inv_std"] = (d["zhat"] * t["centered"]).sum(0, keepdim=True)
    d["var"] = d["inv_std"] * -0.5 * (t["var"] + EPS) ** -1.5
    d["sq"] = d["var"].expand_as(t["sq"]) / B
    # centered is used twice: in zhat and in sq = centered^2.
    d["centered"] = d["zhat"] * t["inv_std"] + 2 * t["centered"] * d["sq"]
    d["mu"] = -d["centered"].sum(0, keepdim=True)
    d["z"] = d["centered"] + d["mu"].expand_as(t["z"]) / B       # z feeds centered and mu = mean(z)
    d["x"] = d["z"] @ p["W1"].T
    d["W1"] = t["x"].T @ d["z"]
    d["b1"] = d["z"].sum(0)
    d["emb"] = d["x"].view(t["emb"].shape)
    # C[X] copies rows of C, so each row's gradient is the sum over every place its id occurs.
    d["C"] = torch.zeros_like(p["C"]).index_add(0, X.view(-1), d["emb"].view(-1, N_EMBD))
    return d


def fused_gradients(params, X, Y, t):
    """The same gradients for two blocks in one closed form each, as a fused kernel computes them:
    softmax cross-entropy, and BatchNorm's backward through its batch statistics."""
    B = X.shape[0]
    dlogits = (F.softmax(t["logits"], dim=1) - F.one_hot(Y, N_CLASSES).float()) / B
    dzbn = (1 - t["a"] ** 2) * (dlogits @ params["W2"].T)
    g = dzbn * params["bn_gain"]
    dz = t["inv_std"] / B * (B * g - g.sum(0, keepdim=True) - t["zhat"] * (g * t["zhat"]).sum(0, keepdim=True))
    return {"logits": dlogits, "z": dz}


def compare(name, hand, autograd_grad):
    """One check line, and whether the check passed."""
    exact = bool((hand == autograd_grad).all().item())
    approx = bool(torch.allclose(hand, autograd_grad, rtol=RTOL, atol=ATOL))
    max_diff = (hand - autograd_grad).abs().max().item()
    print(f"{name:20s} | exact: {str(exact):5s} | approx: {str(approx):5s} | max diff: {max_diff:.3e}")
    return approx


def run_checks(params, X, Y):
    """Forward, backward, every check printed. Returns (all passed, the loss, autograd's gradients)."""
    loss, t = forward(params, X, Y)
    loss.backward()
    hand = hand_gradients(params, X, Y, t)
    fused = fused_gradients(params, X, Y, t)
    autograd_grads = {name: params[name].grad if name in params else t[name].grad for name in hand}
    ok = True
    for name, grad in hand.items():
        ok &= compare(name, grad, autograd_grads[name])
    for name, grad in fused.items():
        ok &= compare(f"{name} (fused)", grad, autograd_grads[name])
    return ok, loss.item(), autograd_grads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    g = torch.Generator().manual_seed(args.seed)
    params, X, Y = make_problem(g, args.batch)
    print(f"backend: {BACKEND}")
    ok, loss, _ = run_checks(params, X, Y)
    print(f"loss: {loss:.6f}")
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
