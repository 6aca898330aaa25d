"""CUDA graphs (Note [Capturing a step], core/cuda/graph.cpp): capture once, replay with one launch.
On the emulated device the capture records the same launches the stream would have queued and a
replay queues them again, so these tests check what a GPU would do: same numbers, one launch."""
import numpy as np
import pytest

import ember
import ember.nn as nn

pytestmark = pytest.mark.gpu


def test_a_replay_recomputes_from_the_static_input():
    static_in = ember.zeros(8, device="cuda")
    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        static_out = (static_in * 2.0 + 1.0).relu().sum()
    for k in range(3):
        static_in.copy_(ember.arange(8.0) - k)
        g.replay()
        want = float(np.maximum(2.0 * (np.arange(8.0) - k) + 1.0, 0).sum())
        assert static_out.item() == want


def test_a_replay_is_one_launch_and_no_allocation():
    x = ember.randn(64, 32, device="cuda")
    w = ember.randn(32, 16, device="cuda")
    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        y = (x @ w).relu().sum(0)
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    for _ in range(5):
        g.replay()
    stats = ember.cuda.transfer_stats()
    assert stats["kernel_launches"] == 5 and stats["allocator_calls"] == 0 and stats["syncs"] == 0
    np.testing.assert_allclose(y.cpu().numpy(), np.maximum(x.cpu().numpy() @ w.cpu().numpy(), 0).sum(0), rtol=1e-5)


def test_waiting_for_the_device_inside_a_capture_raises_and_the_stream_still_works():
    x = ember.ones(4, device="cuda")
    g = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="while a CUDA graph is being captured"):
        with ember.cuda.graph(g):
            (x * 2).sum().item()
    assert not ember.cuda.is_current_stream_capturing()
    assert (x + 1).cpu().tolist() == [2.0] * 4
    with pytest.raises(RuntimeError, match="nothing has been captured"):
        g.replay()


def test_pageable_input_copies_are_refused_during_capture():
    g = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="while a CUDA graph is being captured"):
        with ember.cuda.graph(g):
            ember.ones(3).cuda()


def test_memory_of_a_graph_is_not_handed_to_other_work():
    static_in = ember.ones(1000, device="cuda")
    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        tmp = static_in * 3.0   # freed inside the capture, its block stays in the graph's pool
        out = tmp + 1.0
        del tmp
    other = ember.full((1000,), 7.0, device="cuda")  # same size class: must not take tmp's block
    g.replay()
    assert out.cpu().tolist() == [4.0] * 1000 and other.cpu().tolist() == [7.0] * 1000


def test_a_graph_pool_goes_back_to_the_allocator_when_the_graph_is_dropped():
    static_in = ember.ones(5000, device="cuda")
    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        out = static_in * 2.0
    del out
    g.reset()
    ember.cuda.synchronize()
    before = ember.cuda.memory_stats()["num_device_alloc"]
    again = ember.empty(5000, device="cuda")  # takes the pool's block, now ordinary
    assert ember.cuda.memory_stats()["num_device_alloc"] == before
    del again


def _mlp_and_data(opt_name):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5)).cuda()
    opt = {"SGD": lambda p: ember.optim.SGD(p, lr=0.1, momentum=0.9),
           "Adam": lambda p: ember.optim.Adam(p, lr=1e-2),
           "Adam capturable": lambda p: ember.optim.Adam(p, lr=1e-2, capturable=True),
           "AdamW capturable": lambda p: ember.optim.AdamW(p, lr=1e-2, amsgrad=True, capturable=True),
           }[opt_name](model.parameters())
    batches = [(ember.randn(16, 20), ember.randint(0, 5, (16,))) for _ in range(6)]
    return model, opt, batches


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "Adam capturable", "AdamW capturable"])
def test_a_captured_training_step_matches_eager_steps(opt_name):
    losses = {}
    for mode in ("eager", "graph"):
        model, opt, batches = _mlp_and_data(opt_name)
        x0, y0 = batches[0][0].cuda(), batches[0][1].cuda()
        loss_fn = nn.functional.cross_entropy
        if mode == "eager":
            def step(x, y):
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                return loss
            for _ in range(3):  # the same warm-up the captured step makes
                step(x0, y0)
        else:
            step = ember.cuda.capture_training_step(model, loss_fn, opt, x0, y0, warmup_steps=3)
        losses[mode] = [step(x.cuda(), y.cuda()).item() for x, y in batches]
        losses[mode + " weights"] = [p.detach().cpu().numpy() for p in model.parameters()]
    np.testing.assert_allclose(losses["graph"], losses["eager"], rtol=1e-5, atol=1e-6)
    for a, b in zip(losses["graph weights"], losses["eager weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_captured_sgd_step_is_one_launch():
    model, opt, batches = _mlp_and_data("SGD")
    step = ember.cuda.capture_training_step(model, nn.functional.cross_entropy, opt,
                                            batches[0][0].cuda(), batches[0][1].cuda())
    x, y = batches[1][0].cuda(), batches[1][1].cuda()
    ember.cuda.synchronize()
    ember.cuda.reset_transfer_stats()
    step(x, y)
    stats = ember.cuda.transfer_stats()
    # two copies into the static inputs (device to device kernels) and the replay
    assert stats["kernel_launches"] <= 3 and stats["allocator_calls"] == 0 and stats["syncs"] == 0, stats


def test_adam_refuses_to_be_captured_unless_capturable():
    model, opt, batches = _mlp_and_data("Adam")
    x, y = batches[0][0].cuda(), batches[0][1].cuda()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    g = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="instance of Adam but param_groups' capturable is False.*"
                                           "make it with capturable=True"):
        with ember.cuda.graph(g):
            opt.step()


def test_a_captured_capturable_adam_step_counts_on_the_device():
    model, opt, batches = _mlp_and_data("Adam capturable")
    x, y = batches[0][0].cuda(), batches[0][1].cuda()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()  # warm-up: the state exists
    g = ember.cuda.CUDAGraph()
    with ember.cuda.graph(g):
        opt.step()
    for _ in range(3):
        g.replay()
    steps = [opt.state[p]["step"] for p in model.parameters()]
    assert all(s.is_cuda for s in steps)
    assert [s.item() for s in steps] == [4.0] * len(steps)  # the warm-up and three replays (a capture runs nothing)


def test_capturable_adam_refuses_a_capture_before_its_state_exists():
    model, opt, batches = _mlp_and_data("Adam capturable")
    x, y = batches[0][0].cuda(), batches[0][1].cuda()
    nn.functional.cross_entropy(model(x), y).backward()
    g = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="before its state exists"):
        with ember.cuda.graph(g):
            opt.step()


def test_sgd_with_momentum_refuses_a_capture_before_its_buffers_exist():
    model, opt, batches = _mlp_and_data("SGD")
    x, y = batches[0][0].cuda(), batches[0][1].cuda()
    nn.functional.cross_entropy(model(x), y).backward()
    g = ember.cuda.CUDAGraph()
    with pytest.raises(RuntimeError, match="before its momentum buffers exist"):
        with ember.cuda.graph(g):
            opt.step()


def test_make_graphed_callables_gives_the_eager_gradients():
    ember.manual_seed(1)
    eager = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).cuda()
    graphed = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).cuda()
    graphed.load_state_dict(eager.state_dict())
    sample = ember.randn(4, 8, device="cuda", requires_grad=True)
    graphed = ember.cuda.make_graphed_callables(graphed, (sample,))
    for _ in range(2):
        x = ember.randn(4, 8)
        xe, xg = x.cuda().requires_grad_(), x.cuda().requires_grad_()
        (eager(xe) ** 2).sum().backward()
        (graphed(xg) ** 2).sum().backward()
        np.testing.assert_allclose(xg.grad.cpu().numpy(), xe.grad.cpu().numpy(), rtol=1e-5, atol=1e-6)
    for pe, pg in zip(eager.parameters(), graphed.parameters()):
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pe.grad.cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_graph_rejects_a_stream_argument():
    with pytest.raises(ValueError, match="stream=None"):
        ember.cuda.graph(ember.cuda.CUDAGraph(), stream=object())
