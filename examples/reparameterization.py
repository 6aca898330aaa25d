"""The reparameterization trick as a custom autograd.Function.

A sample z ~ N(mu, sigma^2) written as z = mu + sigma * eps (eps ~ N(0, 1) drawn outside) has
gradients dz/dmu = 1 and dz/dlog_sigma = sigma * eps, so a loss on samples can train the
distribution's parameters. The Function below states that backward by hand; the script checks
it against autograd of the same expression, then fits N(mu, sigma^2) to minimise
E[(z - 3)^2] + E[z^2]/4 by SGD on sampled batches (optimum: mu = 2.4, sigma -> 0)."""
import ember
from ember.autograd import Function


class GaussianSample(Function):
    @staticmethod
    def forward(ctx, mu, log_sigma, eps):
        sigma = log_sigma.exp()
        ctx.save_for_backward(sigma, eps)
        return mu + sigma * eps

    @staticmethod
    def backward(ctx, grad):
        sigma, eps = ctx.saved_tensors
        return grad.sum(), (grad * sigma * eps).sum(), None


def loss_of(z):
    return ((z - 3) ** 2).mean() + (z ** 2).mean() / 4


def check_against_autograd():
    mu = ember.tensor(0.5, requires_grad=True)
    log_sigma = ember.tensor(0.2, requires_grad=True)
    eps = ember.randn(1000)
    custom = ember.autograd.grad(loss_of(GaussianSample.apply(mu, log_sigma, eps)), [mu, log_sigma])
    auto = ember.autograd.grad(loss_of(mu + log_sigma.exp() * eps), [mu, log_sigma])
    return max(abs(a.item() - b.item()) for a, b in zip(custom, auto))


if __name__ == "__main__":
    ember.manual_seed(0)
    print(f"custom backward vs autograd: max difference {check_against_autograd():.1e}")
    mu = ember.tensor(0.0, requires_grad=True)
    log_sigma = ember.tensor(0.0, requires_grad=True)
    for step in range(300):
        z = GaussianSample.apply(mu, log_sigma, ember.randn(256))
        loss = loss_of(z)
        mu.grad = log_sigma.grad = None
        loss.backward()
        with ember.no_grad():
            mu -= 0.1 * mu.grad
            log_sigma -= 0.1 * log_sigma.grad
    print(f"fitted mu = {mu.item():.3f} (optimum 2.4), sigma = {log_sigma.exp().item():.3f} (optimum 0)")
