"""Gradient reversal (Ganin & Lempitsky, 2015) as a custom autograd.Function: identity in the
forward pass, gradient multiplied by -lambda in the backward pass. Placed between a feature
extractor and a domain classifier, it trains the classifier to tell two domains apart while the
feature extractor learns to make that harder.

Two domains differ by a shift of 3 along x0; a feature f = w0*x0 + w1*x1 feeds a task head and,
through the reversal, a domain head. The larger lambda, the less the feature leans on x0 (the
domain direction), and the closer the domain classifier gets to chance (50%)."""
import ember
from ember.autograd import Function


class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lambd * grad, None


def bce(logits, target):
    """Binary cross-entropy with logits, in its overflow-free form."""
    return (logits.relu() - logits * target + (1 + (-logits.abs()).exp()).log()).mean()


def train(lambd, steps=400, lr=0.2):
    ember.manual_seed(1)
    x = ember.cat([ember.randn(256, 2), ember.randn(256, 2) + ember.tensor([3.0, 0.0])])
    domain = ember.cat([ember.zeros(256), ember.ones(256)])
    task = (x[:, 1] + 0.5 * (x[:, 0] - 3 * domain) > 0).float()
    w = (ember.randn(2, 1) * 0.5).requires_grad_()
    params = [w] + [ember.zeros(1, requires_grad=True) for _ in range(4)]
    _, head, head_b, dom, dom_b = params
    for _ in range(steps):
        f = x @ w
        loss = bce(f @ head + head_b, task) + bce(GradReverse.apply(f, lambd) @ dom + dom_b, domain)
        for p in params:
            p.grad = None
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= lr * p.grad
    with ember.no_grad():
        domain_acc = ((((x @ w) @ dom + dom_b) > 0).float() == domain).float().mean().item()
    w0, w1 = w.detach().flatten().tolist()
    return abs(w0 / w1), domain_acc


if __name__ == "__main__":
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (GradReverse.apply(x * 1, 0.5) * ember.tensor([3.0, 4.0])).sum().backward()
    print(f"gradient through GradReverse(lambda=0.5) of 3*a + 4*b: {x.grad.tolist()}")
    for lambd in (0.0, 1.0, 3.0):
        ratio, acc = train(lambd)
        print(f"lambda={lambd}: |w0/w1| (reliance on the domain direction) {ratio:.3f}, "
              f"domain classifier accuracy {acc:.1%}")
