"""A compiled train step: forward and backward in one plan, eager's bits in weights and grads."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.capture import FusedBackward
from duograd.frontends.eager.capture_step import TrainStep

nn = torch.nn
RNG = np.random.default_rng(5)
XS = [RNG.standard_normal((8, 6)).astype(np.float32) for _ in range(5)]
YS = [RNG.integers(0, 3, 8) for _ in range(5)]


def _setup(opt_name: str):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 3))
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
    elif opt_name == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lossf = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        loss = lossf(out, y)
        loss.backward()
        opt.step()
        sched.step()
        return loss, out

    return model, step


def _train(compiled: bool, opt_name: str, hook: bool = False):
    model, step = _setup(opt_name)
    if hook:
        model[0].weight.register_hook(lambda g: g * 2.0)
    fn = torch.compile(step) if compiled else step
    torch.manual_seed(7)
    losses, grads = [], []
    for x, y in zip(XS, YS, strict=True):
        loss, out = fn(torch.tensor(x), torch.tensor(y))
        losses.append((loss.detach().numpy().tobytes(), out.detach().numpy().tobytes()))
        grads.append([p.grad.numpy().tobytes() for p in model.parameters()])
    weights = [p.detach().numpy().tobytes() for p in model.parameters()]
    return losses, grads, weights, fn


@pytest.mark.parametrize("opt_name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("hook", [False, True])
def test_weights_grads_and_losses_bitwise_with_backward_in_the_plan(opt_name, hook):
    el, eg, ew, _ = _train(False, opt_name, hook)
    cl, cg, cw, cf = _train(True, opt_name, hook)
    assert el == cl and eg == cg and ew == cw
    assert cf.captures == 1
    (entry,) = cf.cache.values()
    steps = entry.programs[0].steps
    kinds = [type(s) for s in steps]
    # zero_grad, forward, backward and step are one plan; a leaf hook's operations are the
    # hook's (run by backward), and a replay that finds the hook runs the calls instead
    assert kinds.count(TrainStep) == 1 and FusedBackward not in kinds
    (ts,) = [s for s in steps if type(s) is TrainStep]
    assert ts.plan.runs == (0 if hook else len(XS) - 1)


def test_backward_with_retain_graph_or_gradient_stays_a_call():
    w = torch.tensor(np.ones((2, 2), np.float32), requires_grad=True)

    def step(x):
        y = (x * w).sum()
        y.backward(retain_graph=True)
        return y

    cf = torch.compile(step)
    x = torch.tensor(np.full((2, 2), 3.0, np.float32))
    cf(x)
    cf(x)
    assert w.grad.numpy().tolist() == [[6.0, 6.0], [6.0, 6.0]]
    (entry,) = cf.cache.values()
    assert not any(type(s) is FusedBackward for s in entry.programs[0].steps)


def test_fused_backward_accumulates_like_eager_without_zero_grad():
    def run(compiled):
        w = torch.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
        x = torch.tensor(np.arange(6, dtype=np.float32).reshape(3, 2), requires_grad=True)

        def step():
            loss = torch.tanh(torch.matmul(w, x)).sum()
            loss.backward()
            return loss

        fn = torch.compile(step) if compiled else step
        for _ in range(3):
            fn()
        return w.grad.numpy().tobytes(), x.grad.numpy().tobytes()

    assert run(True) == run(False)


def test_embedding_indices_are_never_baked_in():
    # a replay must see new indices, never the first call's
    def run(compiled):
        torch.manual_seed(0)
        emb = nn.Embedding(7, 3)
        fn = torch.compile(emb) if compiled else emb
        return [fn(torch.tensor(RNG_IDX[i])).detach().numpy().tobytes() for i in range(3)]

    assert run(True) == run(False)
    # the index tensor is an input of the captured graph: no break, one graph
    torch.manual_seed(0)
    emb = nn.Embedding(7, 3)
    report = torch._dynamo.explain(emb)(torch.tensor(RNG_IDX[0]))
    assert (report.graph_count, report.graph_break_count) == (1, 0)


RNG_IDX = [np.random.default_rng(i).integers(0, 7, (2, 5)) for i in range(3)]


def _fwd_bwd(retain_inside: bool):
    """A compiled forward+backward without a step (one `FusedBackward` plan)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))

    def step(x, y):
        model.zero_grad()
        h = model[1](model[0](x))
        if retain_inside:
            h.retain_grad()
        loss = nn.functional.cross_entropy(model[2](h), y)
        loss.backward()
        return loss, h

    return model, step


@pytest.mark.parametrize("retain_inside", [False, True])
def test_retain_grad_elsewhere_keeps_the_fused_plan(retain_inside):
    # a retain_grad() anywhere in the process (here: on an eager tensor first) must not make
    # every later forward+backward fall back to the calls; one inside the function makes that
    # function run eagerly, so h.grad is eager's
    a = torch.tensor(np.ones(3, np.float32), requires_grad=True)
    b = a * 2.0
    b.retain_grad()
    b.sum().backward()
    assert b.grad is not None

    def run(compiled):
        model, step = _fwd_bwd(retain_inside)
        fn = torch.compile(step) if compiled else step
        out = []
        for x, y in zip(XS, YS, strict=True):
            loss, h = fn(torch.tensor(x), torch.tensor(y))
            out.append(loss.detach().numpy().tobytes())
            out.append(h.grad.numpy().tobytes() if retain_inside else None)
            out += [p.grad.numpy().tobytes() for p in model.parameters()]
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager
    if retain_inside:
        assert any("retain_grad()" in b.reason for b in fn.breaks)
    else:
        (entry,) = fn.cache.values()
        (fused,) = [s for s in entry.programs[0].steps if type(s) is FusedBackward]
        assert fused.plan.runs == len(XS) - 1
