"""Counting what one training step costs the host on a CUDA device (kernel launches, allocator
calls, syncs, bytes moved): used by bench/cuda_step_counters.py and the step budget test
(tests/test_cuda_step_budget.py). The step is the one of ember's trainer: forward, cross-entropy,
zero_grad, backward, optimizer step, with the data already on the device."""
import numpy as np

import ember
import ember.nn as nn
from ember.bench.workloads import mlp_data


# "Adam capturable" counts its steps on the device (Note [Capturable Adam]), so a CUDA graph can
# hold its step().
OPTIMIZERS = {"SGD": lambda p: ember.optim.SGD(p, lr=0.05),
              "Adam": lambda p: ember.optim.Adam(p, lr=1e-3),
              "Adam capturable": lambda p: ember.optim.Adam(p, lr=1e-3, capturable=True)}


def build(sizes, batch, opt_name):
    x_np, y_np, params = mlp_data(sizes, batch)
    layers = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(fan_in, fan_out)
        with ember.no_grad():
            lin.weight.copy_(ember.tensor(params[2 * k].T.copy()))
            lin.bias.copy_(ember.tensor(params[2 * k + 1]))
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers[:-1]).cuda()
    opt = OPTIMIZERS[opt_name](model.parameters())
    x, y = ember.tensor(x_np).cuda(), ember.tensor(y_np.astype(np.int64)).cuda()
    return model, opt, x, y


def step(model, opt, x, y):
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def counters_per_step(sizes, batch, opt_name):
    model, opt, x, y = build(sizes, batch, opt_name)
    for _ in range(2):  # warm-up: optimizer state exists
        step(model, opt, x, y)
    ember.cuda.synchronize()
    measured = []
    for _ in range(2):
        ember.cuda.reset_transfer_stats()
        step(model, opt, x, y)
        measured.append(ember.cuda.transfer_stats())
    loss = step(model, opt, x, y).item()
    assert np.isfinite(loss), f"{sizes}: loss {loss}"
    assert measured[0] == measured[1], f"{sizes} {opt_name}: the counts differ between steps: {measured}"
    return measured[0]


def counters_per_graphed_step(sizes, batch, opt_name):
    """The same step captured by ember.cuda.capture_training_step, its batch copied into the
    captured inputs from pinned memory (an asynchronous transfer, not a kernel)."""
    model, opt, x, y = build(sizes, batch, opt_name)
    step = ember.cuda.capture_training_step(model, nn.functional.cross_entropy, opt, x, y, warmup_steps=2)
    x_pinned, y_pinned = x.cpu().pin_memory(), y.cpu().pin_memory()
    ember.cuda.synchronize()
    measured = []
    for _ in range(2):
        ember.cuda.reset_transfer_stats()
        step.inputs[0].copy_(x_pinned, non_blocking=True)
        step.inputs[1].copy_(y_pinned, non_blocking=True)
        step()
        measured.append(ember.cuda.transfer_stats())
    loss = step().item()
    assert np.isfinite(loss), f"{sizes}: loss {loss}"
    assert measured[0] == measured[1], f"{sizes} {opt_name}: the counts differ between steps: {measured}"
    return measured[0]
