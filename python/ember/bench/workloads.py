"""What the suite measures: rows of workloads, each buildable as a `Case` on every engine.

A `Row` makes one `Case` per engine from the same NumPy data and the same initial weights. A case's
`run()` is the thing timed; its `check()` computes the row's results (outputs, loss, gradients,
updated weights) from a fresh start, as NumPy arrays, so engines can be compared before any timing.
Convention for every tensor engine: a layer is `x @ W + b` with W of shape (in, out).
"""
import numpy as np

from ember.reference import value as V


class Case:
    def __init__(self, run, check):
        self.run, self.check = run, check


class Row:
    """One line of the report. `build(engine)` returns a Case; `skip(engine)` a reason or None."""

    def __init__(self, group, label, build, skip=lambda e: None, rtol=1e-4, size=None, unit_note=""):
        self.group, self.label, self.build, self.skip, self.rtol, self.size = group, label, build, skip, rtol, size
        self.unit_note = unit_note


def _rng(seed):
    return np.random.default_rng(seed)


def _value_grid(a):
    return [[V.Value(x) for x in row] for row in a.tolist()]


# ---------------------------------------------------------------------- per-op overhead on tiny tensors

OVERHEAD_OPS = ("add", "mul", "matmul", "relu", "sum")


def _value_op(op, a, b):
    """The 4x4 op on grids of Values (every element its own Value op: the cost being shown)."""
    if op == "add":
        return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
    if op == "mul":
        return [[x * y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]
    if op == "relu":
        return [[x.relu() for x in ra] for ra in a]
    if op == "sum":
        return sum((x for ra in a for x in ra), V.Value(0.0))
    cols = list(zip(*b))
    return [[sum((x * y for x, y in zip(ra, cb)), V.Value(0.0)) for cb in cols] for ra in a]


def _tensor_op(op, a, b):
    return {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b,
            "relu": lambda: a.relu(), "sum": lambda: a.sum()}[op]


def overhead_row(op, requires_grad, n=4):
    rng = _rng(0)
    a_np, b_np = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))

    def build(engine):
        if engine.kind == "value":
            a, b = _value_grid(a_np), _value_grid(b_np)
            run = lambda: _value_op(op, a, b)  # noqa: E731
            return Case(run, lambda: {"out": np.array(_value_data(run()))})
        a, b = engine.tensor(a_np, requires_grad), engine.tensor(b_np, requires_grad)
        run = _tensor_op(op, a, b)
        return Case(run, lambda: {"out": engine.numpy(run())})

    def skip(engine):  # Value always records a graph: it has no "without requires_grad" row
        if engine.kind == "value" and not requires_grad:
            return "Value always builds a graph (see the requires_grad row)"
        return None
    label = f"{op} {n}x{n} f32" + (", requires_grad" if requires_grad else "")
    return Row("overhead", label, build, skip, rtol=1e-5)


def _value_data(out):
    if isinstance(out, V.Value):
        return out.data
    return [[v.data for v in row] for row in out]


# ---------------------------------------------------------------------- MLP training steps

MLP_SIZES = [((2, 16, 16, 2), 100), ((64, 64, 10), 64), ((784, 128, 10), 128),
             ((784, 512, 512, 10), 256), ((784, 1024, 1024, 10), 1024)]
MLP_SIZES_QUICK = MLP_SIZES[:3]
LR = 0.05


def mlp_data(sizes, batch, seed=1):
    """Inputs, integer targets and initial [W1, b1, W2, b2, ...] (float32), shared by all engines."""
    rng = _rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32))
        params.append((rng.standard_normal(fan_out) * 0.1).astype(np.float32))
    return x, y, params


def value_mlp_cost(sizes, batch):
    """Scalar multiply-adds in one forward pass: a Value step costs about 3x this in Python objects."""
    return batch * sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))


def mlp_row(sizes, batch, value_limit):
    x_np, y_np, params_np = mlp_data(sizes, batch)
    n_params = sum(p.size for p in params_np)

    def build(engine):
        return {"value": _value_mlp, "numpy": _numpy_mlp}.get(engine.kind, _torchlike_mlp)(engine, x_np, y_np, params_np)

    def skip(engine):
        cost = value_mlp_cost(sizes, batch)
        if engine.kind == "value" and cost > value_limit:
            return f"{cost:,} scalar multiply-adds per forward would take too long"
        return None
    label = f"MLP {'-'.join(map(str, sizes))} step, batch {batch}"
    # float32 engines against each other and against Value's float64: loose but still catches bugs.
    return Row("mlp", label, build, skip, rtol=2e-3, size=n_params)


def _results(loss, grads, params):
    out = {"loss": np.asarray(loss, dtype=np.float64)}
    out.update({f"grad{i}": np.asarray(g) for i, g in enumerate(grads)})
    out.update({f"param{i}": np.asarray(p) for i, p in enumerate(params)})
    return out


def sgd_step_case(engine, make):
    """The Case of one training step on a torch-like engine: make() gives fresh (params,
    forward_backward); run() is forward + backward + a plain SGD update (p -= LR * grad) under
    no_grad, and check() the loss, gradients and updated weights of one such step from a fresh start."""
    lib = engine.lib

    def step(params, forward_backward):
        loss = forward_backward()
        grads = [p.grad for p in params]
        with lib.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss, grads

    params, fb = make()

    def run():
        step(params, fb)

    def check():
        p, fb1 = make()
        loss, grads = step(p, fb1)
        return _results(loss.item(), [engine.numpy(g) for g in grads], [engine.numpy(t) for t in p])
    return Case(run, check)


def _torchlike_mlp(engine, x_np, y_np, params_np):
    """ember and PyTorch share an API, so one function builds both (lib = ember or torch)."""
    lib = engine.lib
    x, y = engine.tensor(x_np), engine.tensor(y_np)
    ce = lib.nn.functional.cross_entropy

    def make():
        params = [engine.tensor(p, requires_grad=True) for p in params_np]

        def forward_backward():
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i + 2 < len(params):
                    h = h.relu()
            loss = ce(h, y)
            loss.backward()
            return loss

        return params, forward_backward

    return sgd_step_case(engine, make)


def _numpy_mlp(engine, x_np, y_np, params_np):
    ne = engine.lib
    x = ne.Tensor(x_np)

    def make():
        params = [ne.Tensor(p.copy(), requires_grad=True) for p in params_np]

        def forward_backward():
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i + 2 < len(params):
                    h = h.relu()
            loss = ne.cross_entropy(h, y_np)
            loss.backward()
            return loss

        def update():
            for p in params:
                p.data -= LR * p.grad
                p.grad = None
        return params, forward_backward, update

    params, fb, update = make()

    def run():
        fb()
        update()

    def check():
        p, fb1, up1 = make()
        loss = fb1()
        grads = [t.grad.copy() for t in p]
        up1()
        return _results(loss.item(), grads, [t.data for t in p])
    return Case(run, check)


def _value_mlp(engine, x_np, y_np, params_np):
    rows, targets = x_np.tolist(), y_np.tolist()

    def make():
        model = V.MLP.from_params(params_np)

        def forward_backward():
            loss = V.cross_entropy([model(r) for r in rows], targets)
            loss.backward()
            return loss

        def update():
            for p in model.parameters():
                p.data -= LR * p.grad
                p.grad = 0.0
        return model, forward_backward, update

    model, fb, update = make()

    def run():
        fb()
        update()

    def check():
        m, fb1, up1 = make()
        loss = fb1()
        grads = [np.array(g) for g in m.tensors("grad")]
        up1()
        return _results(loss.data, grads, [np.array(p) for p in m.tensors("data")])
    return Case(run, check)


# ---------------------------------------------------------------------- SGEMM

SGEMM_SIZES = (64, 128, 256, 512, 1024, 2048)
SGEMM_SIZES_QUICK = (64, 256)


def sgemm_row(n):
    rng = _rng(2)
    a_np, b_np = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))

    def build(engine):
        if engine.kind == "numpy":  # plain NumPy (its BLAS): the engine's matmul adds only a wrapper
            run = lambda: np.matmul(a_np, b_np)  # noqa: E731
            return Case(run, lambda: {"out": run()})
        a, b = engine.tensor(a_np), engine.tensor(b_np)
        return Case(lambda: a @ b, lambda: {"out": engine.numpy(a @ b)})

    def skip(engine):
        return "SGEMM on scalar Values would take too long" if engine.kind == "value" else None
    return Row("sgemm", f"SGEMM {n}x{n} @ {n}x{n} f32", build, skip, rtol=1e-4, size=n,
               unit_note=f"{2 * n ** 3 / 1e9:.3g} GFLOP")


# ---------------------------------------------------------------------- memory-bound ops

MEMORY_SIZES = (10 ** 6, 10 ** 7)
MEMORY_SIZES_QUICK = (10 ** 6,)


def _softmax(engine, t):
    if engine.kind == "numpy":
        return engine.lib.softmax(t, axis=-1)
    return engine.lib.softmax(t, dim=-1)


def memory_row(op, numel):
    rng = _rng(3)
    shape = (numel // 1000, 1000)
    # Uniform [0, 1): the sum is then well conditioned (no cancellation), so engines summing in
    # different orders agree to float32 rounding of the total.
    a_np, b_np = (rng.random(shape, dtype=np.float32) for _ in range(2))
    fns = {"add": lambda e, a, b: a + b, "exp": lambda e, a, b: a.exp(), "sum": lambda e, a, b: a.sum(),
           "softmax": lambda e, a, b: _softmax(e, a)}

    def build(engine):
        a, b = engine.tensor(a_np), engine.tensor(b_np)
        run = lambda: fns[op](engine, a, b)  # noqa: E731
        return Case(run, lambda: {"out": engine.numpy(run())})

    def skip(engine):
        return "1e6+ scalar Values would take too long" if engine.kind == "value" else None
    label = f"{op} {shape[0]}x{shape[1]} f32 ({numel:.0e} elements)".replace("e+0", "e")
    return Row("memory", label, build, skip, rtol=1e-3 if op == "sum" else 1e-5)


def cross_entropy_row(batch, classes=1000):
    rng = _rng(4)
    logits_np = (rng.standard_normal((batch, classes)) * 3).astype(np.float32)
    y_np = rng.integers(0, classes, batch)

    def build(engine):
        logits = engine.tensor(logits_np, requires_grad=True)
        if engine.kind == "numpy":
            y, ce = y_np, engine.lib.cross_entropy
        else:
            y, ce = engine.tensor(y_np), engine.lib.nn.functional.cross_entropy

        def run():
            loss = ce(logits, y)
            loss.backward()
            logits.grad = None
            return loss

        def check():
            loss = ce(logits, y)
            loss.backward()
            out = {"loss": np.float64(loss.item()), "grad": engine.numpy(logits.grad).copy()}
            logits.grad = None
            return out
        return Case(run, check)

    def skip(engine):
        return "would take too long" if engine.kind == "value" else None
    return Row("memory", f"cross-entropy fwd+bwd {batch}x{classes} f32", build, skip, rtol=1e-4)


# ---------------------------------------------------------------------- the suite

WORKLOADS = ("overhead", "mlp", "sgemm", "memory", "cnn")


def rows_for(workloads, quick, value_limit=None):
    if value_limit is None:
        value_limit = 40_000 if quick else 400_000
    rows = []
    if "overhead" in workloads:
        rows += [overhead_row(op, rg) for op in OVERHEAD_OPS for rg in (False, True)]
    if "mlp" in workloads:
        rows += [mlp_row(s, b, value_limit) for s, b in (MLP_SIZES_QUICK if quick else MLP_SIZES)]
    if "sgemm" in workloads:
        rows += [sgemm_row(n) for n in (SGEMM_SIZES_QUICK if quick else SGEMM_SIZES)]
    if "memory" in workloads:
        for numel in MEMORY_SIZES_QUICK if quick else MEMORY_SIZES:
            rows += [memory_row(op, numel) for op in ("add", "exp", "sum", "softmax")]
        rows.append(cross_entropy_row(1024 if quick else 4096))
    if "cnn" in workloads:
        from .cnn import cnn_row  # cnn.py builds on this module's Case and Row
        rows.append(cnn_row())
    return rows
