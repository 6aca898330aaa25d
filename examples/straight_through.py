"""Straight-through estimator: sign() has zero gradient almost everywhere, so a network with
binary activations cannot learn through it. A custom autograd.Function keeps sign() in the
forward pass and passes the gradient straight through (clipped to |x| <= 1) in the backward.

Here 64 real-valued weights are trained so that sign(w) matches a random +-1 target."""
import ember
from ember.autograd import Function


class SignSTE(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sign()

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (x.abs() <= 1).float()  # hardtanh's gradient: the usual STE choice


def train(binarize, steps=60, lr=0.1):
    ember.manual_seed(0)
    target = (ember.rand(64) > 0.5).float() * 2 - 1
    w = (ember.randn(64) * 0.5).requires_grad_()
    for _ in range(steps):
        loss = ((binarize(w) - target) ** 2).sum() / 4
        w.grad = None
        loss.backward()
        with ember.no_grad():
            w -= lr * (w.grad if w.grad is not None else ember.zeros_like(w))
    return loss.item(), (binarize(w).detach() == target).float().mean().item()


if __name__ == "__main__":
    loss, acc = train(lambda w: w.sign())
    print(f"plain sign():   final loss {loss:.2f}, bits right {acc:.0%} (no gradient flows)")
    loss, acc = train(SignSTE.apply)
    print(f"straight-through: final loss {loss:.2f}, bits right {acc:.0%}")
