"""A Hessian-vector product by double backward, checked against the explicit Hessian.

For a loss L(θ) the product H·v needs no Hessian: with g = ∇L(θ) computed with create_graph=True,
H·v = ∇(g·v). This costs about two backward passes, while the explicit Hessian (here from
ember.autograd.functional.hessian) costs one backward pass per parameter. On a small tanh MLP whose
parameters are one flat vector θ, both are computed and compared.

    PYTHONPATH=python python examples/hessian_vector_product.py
"""
import ember
import ember.nn.functional as F
from ember.autograd.functional import hessian, hvp

N_IN, N_HIDDEN, N_OUT, BATCH = 3, 5, 2, 8
SHAPES = [(N_IN, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, N_OUT), (N_OUT,)]


def unflatten(theta):
    """W1, b1, W2, b2 as views of slices of the flat parameter vector (so gradients reach theta)."""
    params, start = [], 0
    for shape in SHAPES:
        n = 1
        for s in shape:
            n *= s
        params.append(theta.narrow(0, start, n).reshape(shape))
        start += n
    return params


def make_loss(x, y):
    def loss_fn(theta):
        w1, b1, w2, b2 = unflatten(theta)
        return F.cross_entropy((x @ w1 + b1).tanh() @ w2 + b2, y)
    return loss_fn


def main():
    ember.manual_seed(0)
    dtype = ember.float64
    n_params = sum(s[0] * (s[1] if len(s) > 1 else 1) for s in SHAPES)
    x = ember.randn(BATCH, N_IN, dtype=dtype)
    y = ember.randint(0, N_OUT, (BATCH,))
    theta = (ember.randn(n_params, dtype=dtype) * 0.5).requires_grad_(True)
    v = ember.randn(n_params, dtype=dtype)
    loss_fn = make_loss(x, y)

    # H·v by double backward: differentiate g·v, where g was built with create_graph=True.
    loss = loss_fn(theta)
    (g,) = ember.autograd.grad(loss, theta, create_graph=True)
    (hv,) = ember.autograd.grad((g * v).sum(), theta)

    # The explicit Hessian (n_params x n_params), then its product with v.
    h = hessian(loss_fn, theta)
    hv_explicit = (h @ v.reshape(n_params, 1)).reshape(n_params)
    _, hv_functional = hvp(loss_fn, theta, v)

    sym = (h - h.t()).abs().amax().item()
    err = (hv - hv_explicit).abs().amax().item()
    err_fn = (hv_functional - hv_explicit).abs().amax().item()
    print(f"parameters: {n_params}, loss: {loss.item():.6f}")
    print(f"Hessian shape: {tuple(h.shape)}, max |H - H^T| = {sym:.2e}")
    print(f"|H v| = {(hv * hv).sum().sqrt().item():.6f}")
    print(f"max |Hv(double backward) - H @ v| = {err:.2e}")
    print(f"max |functional.hvp - H @ v| = {err_fn:.2e}")
    print("double-backward HVP matches the explicit Hessian:", "yes" if max(err, err_fn) < 1e-10 else "no")


if __name__ == "__main__":
    main()
