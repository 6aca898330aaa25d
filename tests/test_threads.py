"""ember from several Python threads: native calls let the GIL go (Note [Releasing the GIL],
csrc/bindings/gil.h), Python callbacks in backward take it back, and the CPU task pool follows
set_num_threads (Note [The pool follows set_num_threads], csrc/kernels/cpu/task_pool.cpp).

Needs no torch and no conftest helpers, so tools/sanitize.sh can run it under ThreadSanitizer:
    tools/sanitize.sh tsan tests/test_threads.py
Timings are printed (pytest -s shows them), never asserted beyond very loose bounds: the CI
machines are shared 2-core boxes."""
import os
import sys
import threading
import time

import numpy as np
import pytest

import ember
from ember import nn

# TSan slows everything ~10x: the sanitizer run uses fewer steps (tools/sanitize.sh sets LD_PRELOAD).
UNDER_SANITIZER = "libtsan" in os.environ.get("LD_PRELOAD", "")
STEPS = 40 if UNDER_SANITIZER else 300


def run_in_threads(*fns):
    """Runs each fn in its own thread, all at once; returns their results, re-raising any error."""
    results, errors = [None] * len(fns), []
    start = threading.Barrier(len(fns))

    def body(i, fn):
        try:
            start.wait()
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def thread_count():
    return len(os.listdir("/proc/self/task"))


# ---------------------------------------------------------------- training in two threads

def train_mlp(seed, steps=STEPS):
    """A 64-64-10 MLP trained with SGD on fixed data; returns its final weights as NumPy arrays."""
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 10, 32))
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    with ember.no_grad():
        for p in model.parameters():  # deterministic weights, independent of the global RNG
            p.copy_(ember.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.1))
    opt = ember.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_train_the_same_weights_as_one_after_the_other():
    t0 = time.perf_counter()
    seq = [run_in_threads(lambda s=s: train_mlp(s))[0] for s in (0, 1)]
    t_seq = time.perf_counter() - t0
    t0 = time.perf_counter()
    par = run_in_threads(lambda: train_mlp(0), lambda: train_mlp(1))
    t_par = time.perf_counter() - t0
    for a, b in zip(seq, par):
        for wa, wb in zip(a, b):
            np.testing.assert_array_equal(wa, wb)  # bit for bit: no state leaks between the threads
    assert not np.array_equal(seq[0][0], seq[1][0])
    print(f"\n64-64-10 MLP, {STEPS} SGD steps x 2 models: one after the other {t_seq * 1e3:.0f} ms, "
          f"two threads {t_par * 1e3:.0f} ms ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")


# ---------------------------------------------------------------- the GIL is let go

def gil_released_during(native_call, budget_s=10.0):
    """True if another Python thread ran while native_call() was in progress.

    With a huge switch interval this thread keeps the GIL unless it blocks or a native call
    releases it: a helper thread that is ready to run can only get in during native_call(), which
    is repeated until it has, or the budget is spent (a loaded machine may be slow to schedule it)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        ran = []
        ready, go = threading.Event(), threading.Event()

        def helper():
            ready.set()
            go.wait()
            ran.append(1)

        t = threading.Thread(target=helper)
        t.start()
        ready.wait()
        go.set()  # the helper now waits for the GIL only
        deadline = time.monotonic() + budget_s
        while not ran and time.monotonic() < deadline:
            native_call()
        seen = bool(ran)
        t.join()
        return seen
    finally:
        sys.setswitchinterval(old)


def test_matmul_backward_and_large_reductions_let_the_gil_go():
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((384, 384)).astype(np.float32), requires_grad=True)
    b = ember.tensor(rng.standard_normal((384, 384)).astype(np.float32))
    assert gil_released_during(lambda: a @ b)

    def backward():
        ((a @ b) @ b).sum().backward()

    assert gil_released_during(backward)
    big = ember.ones(1 << 22)  # reductions, softmax and losses let go from 2^14 elements on
    assert gil_released_during(lambda: big.sum())
    assert gil_released_during(lambda: big.view(1024, -1).log_softmax(1))


def test_an_elementwise_op_keeps_the_gil():
    # The control for the test above: a call that does not release the GIL is seen as such.
    x = ember.ones(4)
    assert not gil_released_during(lambda: x + x, budget_s=0.3)


# ---------------------------------------------------------------- Python callbacks in backward, off the main thread

class Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g


def backward_with_callbacks(scale):
    """Backward through a Python Function, a tensor hook, a post-accumulate hook and a checkpoint."""
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * scale)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    y = Cube.apply(x)
    y.register_hook(lambda g: g + 1)
    z = ember.utils.checkpoint.checkpoint(lambda t: (t * 2).sum(), y, use_reentrant=False)
    z.backward()
    # dz/dy = 2, +1 by y's hook = 3; dy/dx = 3x^2; then x's hook scales.
    expected = 3 * 3 * np.array([1.0, 4.0, 9.0], dtype=np.float32) * scale
    np.testing.assert_allclose(x.grad.numpy(), expected)
    np.testing.assert_allclose(seen[0].numpy(), expected)
    return True


def test_hooks_and_function_run_in_a_non_main_thread():
    assert run_in_threads(lambda: backward_with_callbacks(2.0)) == [True]


def test_hooks_and_functions_in_two_threads_at_once():
    def many(scale):
        return all(backward_with_callbacks(scale) for _ in range(20))

    assert run_in_threads(lambda: many(2.0), lambda: many(3.0)) == [True, True]


def test_a_hook_error_in_a_thread_reaches_its_caller():
    def body():
        x = ember.ones(3, requires_grad=True)
        x.register_hook(lambda g: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            (x * 2).sum().backward()
        return True

    assert run_in_threads(body) == [True]


def test_anomaly_mode_is_process_wide_as_in_pytorch():
    def enable():
        ember.autograd.set_detect_anomaly(True)

    try:
        run_in_threads(enable)
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)


# ---------------------------------------------------------------- set_num_threads and the task pool

def pool_op():
    """An op big enough to run on the task pool (2^17 elements; parallel.h's grain is 2^16)."""
    x = ember.ones(1 << 17)
    return lambda: x + x


def best_time(fn, n=200, repeats=5):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


@pytest.fixture
def restore_threads():
    n = ember.get_num_threads()
    yield n
    ember.set_num_threads(n)


def wait_for_threads(at_most, seconds=10.0):
    deadline = time.monotonic() + seconds
    while thread_count() > at_most and time.monotonic() < deadline:
        time.sleep(0.02)
    return thread_count()


def test_pool_gives_back_workers_when_set_num_threads_goes_down(restore_threads):
    # 64 rather than 10,000 threads: enough to see the old behaviour (every job woke every worker,
    # which then spun 2 ms: a lasting ~30x slowdown at 64 on 2 cores) without straining CI.
    ember.set_num_threads(2)
    op = pool_op()
    op()
    base_threads = thread_count()
    before = best_time(op)
    ember.set_num_threads(64)
    if ember.get_num_threads() != 64:
        pytest.skip("built without OpenMP: one thread only")
    op()
    grown = thread_count()
    assert grown >= base_threads + 32  # the pool did grow
    ember.set_num_threads(2)
    op()
    left = wait_for_threads(base_threads + 1)
    assert left <= base_threads + 1, f"{left} threads left (started with {base_threads}, grew to {grown})"
    after = best_time(op)
    print(f"\n2^17-element add: {before * 1e6:.1f} us before, {after * 1e6:.1f} us after 64 threads and back "
          f"(threads {base_threads} -> {grown} -> {left})")
    assert after < 5 * before + 50e-6


def test_set_num_threads_in_a_thread_is_seen_as_in_pytorch(restore_threads):
    # torch 2.13: set_num_threads in another thread leaves this thread's count alone, and threads
    # started afterwards begin with the value set last (Note [Thread count per Python thread]).
    main = ember.get_num_threads()
    other = 3 if main != 3 else 4
    run_in_threads(lambda: ember.set_num_threads(other))
    if other not in run_in_threads(ember.get_num_threads):
        pytest.skip("built without OpenMP: one thread only")
    assert ember.get_num_threads() == main


def test_pool_jobs_from_two_threads_with_different_counts(restore_threads):
    # Both threads post jobs to the one pool while the other resizes it (set_num_threads sends
    # workers away, the next wider job starts them again); every result must still be right.
    rng = np.random.default_rng(0)
    a = ember.tensor(rng.standard_normal((192, 256)).astype(np.float32))
    b = ember.tensor(rng.standard_normal((256, 160)).astype(np.float32))
    x = ember.tensor(rng.standard_normal(1 << 17).astype(np.float32))
    want_mm, want_sum = (a @ b).numpy(), (x * 2 + 1).numpy()
    rounds = 10 if UNDER_SANITIZER else 30

    def worker(n):
        for i in range(rounds):
            ember.set_num_threads(n if i % 2 == 0 else 1)
            np.testing.assert_allclose((a @ b).numpy(), want_mm, rtol=1e-5, atol=1e-4)
            np.testing.assert_array_equal((x * 2 + 1).numpy(), want_sum)
        return True

    assert run_in_threads(lambda: worker(2), lambda: worker(4)) == [True, True]


def test_workers_no_job_needs_leave_after_an_idle_spell(restore_threads):
    # A thread that ran with 16 threads and ended leaves workers that this thread's jobs (2
    # threads) never need; they go after kIdleExit (2 s), with no set_num_threads here.
    ember.set_num_threads(2)
    op = pool_op()
    op()
    base_threads = thread_count()

    def wide():
        ember.set_num_threads(16)
        pool_op()()
        return ember.get_num_threads()

    if run_in_threads(wide) != [16]:
        pytest.skip("built without OpenMP: one thread only")
    assert thread_count() >= base_threads + 8
    op()  # this thread still runs with 2
    assert wait_for_threads(base_threads + 1) <= base_threads + 1
