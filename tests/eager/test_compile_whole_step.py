"""A compiled training step captured whole: zero_grad, forward, backward, gradient clipping and
the optimizer's update in one plan, bitwise equal to eager over many steps, for every optimizer
whose step is the base class's."""

from __future__ import annotations

import math

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.capture import FusedBackward
from duograd.frontends.eager.capture_step import TrainStep

nn = torch.nn
O = torch.optim
RNG = np.random.default_rng(11)
N = 9
XS = [RNG.standard_normal((8, 6)).astype(np.float32) for _ in range(N)]
YS = [RNG.integers(0, 3, 8) for _ in range(N)]

OPTIMIZERS = {
    "sgd": lambda p: O.SGD(p, lr=0.1),
    "sgd_momentum_wd": lambda p: O.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3),
    "sgd_nesterov": lambda p: O.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-2),
    "sgd_maximize": lambda p: O.SGD(p, lr=0.01, maximize=True),
    "adam": lambda p: O.Adam(p, lr=1e-2),
    "adam_amsgrad_wd": lambda p: O.Adam(p, lr=1e-2, weight_decay=1e-2, amsgrad=True),
    "adam_tf_eps": lambda p: O.Adam(p, lr=1e-2, eps_mode="tf"),
    "adamw": lambda p: O.AdamW(p, lr=1e-2, weight_decay=0.1),
    "rmsprop": lambda p: O.RMSprop(p, lr=1e-2),
    "rmsprop_centered_momentum_wd": lambda p: O.RMSprop(
        p, lr=1e-2, momentum=0.5, centered=True, weight_decay=1e-2
    ),
    "rmsprop_tf": lambda p: O.RMSprop(p, lr=1e-2, eps_mode="tf"),
    "adagrad": lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=1e-3),
    "adadelta": lambda p: O.Adadelta(p, lr=0.5, weight_decay=1e-3),
    "adamax": lambda p: O.Adamax(p, lr=1e-2, weight_decay=1e-3),
    "nadam": lambda p: O.NAdam(p, lr=1e-2, weight_decay=1e-3),
    "radam": lambda p: O.RAdam(p, lr=1e-2, weight_decay=1e-3),
    "asgd": lambda p: O.ASGD(p, lr=1e-2, t0=3, weight_decay=1e-3),
    "rprop": lambda p: O.Rprop(p, lr=1e-2),
    "adafactor": lambda p: O.Adafactor(p, lr=1e-2, weight_decay=1e-3),
    "muon": lambda p: O.Muon([q for q in p if q.dim() == 2], lr=2e-2),
    "sparse_adam": lambda p: O.SparseAdam(p, lr=1e-2),
}


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.25), nn.Linear(16, 3))


def _run(compiled: bool, make, between=None, zero_at_end: bool = False, sched: bool = True):
    """Train N steps; return every loss, weight, gradient and state array as bytes."""
    model = _model()
    opt = make(model.parameters())
    scheduler = O.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if sched else None
    lossf = nn.CrossEntropyLoss()

    def step(x, y):
        if not zero_at_end:
            opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
        if zero_at_end:
            opt.zero_grad()
        if scheduler is not None:
            scheduler.step()
        return loss

    fn = torch.compile(step) if compiled else step
    torch.manual_seed(7)
    seen = []
    for k in range(N):
        if between is not None:
            between(k, model, opt)
        loss = fn(torch.tensor(XS[k]), torch.tensor(YS[k]))
        seen.append(loss.detach().numpy().tobytes())
        for p in model.parameters():
            seen.append(p.detach().numpy().tobytes())
            seen.append(None if p.grad is None else p.grad.numpy().tobytes())
            seen.append(p._version)
        for st in opt.state_dict()["state"].values():
            for key in sorted(st):
                v = st[key]
                if isinstance(v, torch.Tensor):
                    v = v.numpy()
                seen.append(v.tobytes() if isinstance(v, np.ndarray) else v)
    return seen, fn


def _steps(fn) -> list:
    (entry,) = fn.cache.values()
    return entry.programs[0].steps


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_whole_step_bitwise_with_dropout_scheduler_and_state_reload(name):
    def between(k, model, opt):
        if k == 3:  # a reloaded state dict: new state tensors the plan must read
            opt.load_state_dict(opt.state_dict())
        if k == 5:  # hyper-parameters changed by hand are read live
            for g in opt.param_groups:
                g["lr"] = g["lr"] * 0.7
                if "weight_decay" in g:
                    g["weight_decay"] = 0.02

    eager, _ = _run(False, OPTIMIZERS[name], between)
    compiled, fn = _run(True, OPTIMIZERS[name], between)
    assert compiled == eager
    assert fn.captures == 1
    kinds = [type(s) for s in _steps(fn)]
    assert kinds.count(TrainStep) == 1 and FusedBackward not in kinds
    (ts,) = [s for s in _steps(fn) if type(s) is TrainStep]
    assert ts.plan.runs == N - 1  # every replay ran the one plan, none fell back to the calls
    updates = [n for n in ts.plan.steps if n.kind == "effect"]
    assert len(updates) == 1  # one update node, the plan's last step
    assert ts.plan.steps[-1] is updates[0]


def test_momentum_changed_between_calls_is_live():
    def between(k, model, opt):
        opt.param_groups[0]["momentum"] = [0.9, 0.5, 0.0, 0.7][k % 4]
        opt.param_groups[0]["nesterov"] = k % 2 == 1 and opt.param_groups[0]["momentum"] > 0

    make = OPTIMIZERS["sgd_nesterov"]
    eager, _ = _run(False, make, between)
    compiled, fn = _run(True, make, between)
    assert compiled == eager and fn.captures == 1


def test_load_state_dict_of_another_optimizer_between_calls():
    donor_model = _model()
    donor = O.Adam(donor_model.parameters(), lr=3e-3, betas=(0.8, 0.99))
    for p in donor_model.parameters():
        p.grad = torch.ones_like(p)
    donor.step()
    saved = donor.state_dict()

    def between(k, model, opt):
        if k == 4:
            opt.load_state_dict(saved)  # other betas, lr and state (its step counter too)

    eager, _ = _run(False, OPTIMIZERS["adam"], between)
    compiled, fn = _run(True, OPTIMIZERS["adam"], between)
    assert compiled == eager and fn.captures == 1


def test_zero_grad_after_the_step():
    eager, _ = _run(False, OPTIMIZERS["sgd_momentum_wd"], zero_at_end=True)
    compiled, fn = _run(True, OPTIMIZERS["sgd_momentum_wd"], zero_at_end=True)
    assert compiled == eager
    assert TrainStep in [type(s) for s in _steps(fn)]


def test_a_stale_grad_falls_back_to_eager_accumulation():
    # zero_grad after the step: a gradient set from outside must be accumulated into and used
    def between(k, model, opt):
        if k in (3, 4):
            w = model[0].weight
            w.grad = torch.tensor(np.full(w.shape, 0.5, np.float32))

    eager, _ = _run(False, OPTIMIZERS["adam"], between, zero_at_end=True)
    compiled, fn = _run(True, OPTIMIZERS["adam"], between, zero_at_end=True)
    assert compiled == eager
    (ts,) = [s for s in _steps(fn) if type(s) is TrainStep]
    assert ts.plan.runs == N - 3  # the two calls with a stale gradient ran the calls


def test_module_zero_grad_and_two_param_groups():
    def make(params):
        params = list(params)
        return O.SGD(
            [{"params": params[:2]}, {"params": params[2:], "lr": 0.01, "momentum": 0.9}],
            lr=0.1,
        )

    def run(compiled):
        model = _model()
        opt = make(model.parameters())

        def step(x, y):
            model.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        fn = torch.compile(step) if compiled else step
        torch.manual_seed(3)
        out = []
        for k in range(5):
            if k == 3:
                opt.param_groups[1]["lr"] = 0.05
            out.append(fn(torch.tensor(XS[k]), torch.tensor(YS[k])).detach().numpy().tobytes())
            out += [p.detach().numpy().tobytes() for p in model.parameters()]
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager
    assert TrainStep in [type(s) for s in _steps(fn)]


def test_a_new_param_group_between_calls_runs_the_calls():
    extra = torch.tensor(np.ones(3, np.float32), requires_grad=True)

    def between(k, model, opt):
        if k == 4:
            opt.add_param_group({"params": [extra]})

    eager, _ = _run(False, OPTIMIZERS["sgd"], between)
    extra.data = torch.tensor(np.ones(3, np.float32))
    compiled, fn = _run(True, OPTIMIZERS["sgd"], between)
    assert compiled == eager


def test_a_value_read_after_the_step_restores_parameters_and_state():
    # `loss.item()` after the step: each new value captures again; a stopped replay must put
    # the parameters, their state and the random stream back before the function runs again
    def run(compiled):
        model = _model()
        opt = O.Adam(model.parameters(), lr=1e-2)

        def step(x, y):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        fn = torch.compile(step) if compiled else step
        torch.manual_seed(5)
        out = [fn(torch.tensor(XS[k]), torch.tensor(YS[k])) for k in range(4)]
        out += [p.detach().numpy().tobytes() for p in model.parameters()]
        out += [v.numpy().tobytes() for st in opt.state.values() for v in st.values()
                if isinstance(v, torch.Tensor)]  # fmt: skip
        return out

    assert run(True) == run(False)


def test_non_finite_learning_rate_raises_as_eager():
    def between(k, model, opt):
        if k == 2:
            opt.param_groups[0]["lr"] = math.inf

    for compiled in (False, True):
        with pytest.raises(ValueError, match="hyper-parameter lr=inf is not finite"):
            _run(compiled, OPTIMIZERS["sgd"], between, sched=False)


class _OwnStep(O.SGD):
    """An optimizer with a step of its own: the plan cannot know what it does."""

    def step(self, closure=None):
        return super().step(closure)


def test_an_optimizer_with_its_own_step_is_a_listed_break_and_stays_bitwise():
    make = lambda p: _OwnStep(p, lr=0.5)  # noqa: E731
    eager, _ = _run(False, make)
    compiled, fn = _run(True, make)
    assert compiled == eager
    assert TrainStep not in [type(s) for s in _steps(fn)]
    assert any("_OwnStep.step() runs as a call" in b.reason for b in fn.breaks)

    model = _model()
    opt = make(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = torch.tensor(XS[0]), torch.tensor(YS[0])
    report = torch._dynamo.explain(step)(x, y)
    assert report.graph_break_count == 1
    (b,) = report.break_reasons
    assert "it is not the base optimizer's step" in b.reason
    assert b.line == "return super().step(closure)" and b.filename == __file__
    with pytest.raises(torch._dynamo.GraphBreak, match="_OwnStep.step"):
        torch.compile(step, fullgraph=True)(x, y)


def test_step_with_a_closure_is_a_listed_break():
    model = _model()
    opt = O.SGD(model.parameters(), lr=0.1)
    x, y = torch.tensor(XS[0]), torch.tensor(YS[0])

    def step():
        def closure():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss

        return opt.step(closure)

    report = torch._dynamo.explain(step)()
    assert any("step(closure) runs as a call" in b.reason for b in report.break_reasons)


def test_a_supported_step_has_no_break_and_fullgraph_accepts_it():
    model = _model()
    opt = O.AdamW(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = torch.tensor(XS[0]), torch.tensor(YS[0])
    report = torch._dynamo.explain(step)(x, y)
    assert (report.graph_count, report.graph_break_count) == (1, 0)
    assert report.ops_per_graph[0].count("AdamWUpdate") == 1  # the plan's update node
    fn = torch.compile(step, fullgraph=True)
    fn(x, y)
    fn(x, y)
    assert TrainStep in [type(s) for s in _steps(fn)]


def test_a_wrong_input_shape_raises_the_models_error():
    model = _model()
    opt = O.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step)
    fn(torch.tensor(XS[0]), torch.tensor(YS[0]))
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(8, 5\)"):
        fn(torch.tensor(np.ones((8, 5), np.float32)), torch.tensor(YS[0]))


def test_module_guards_see_changes_made_without_setattr():
    # the guard compares the module tree's tables by identity: a layer swapped inside a
    # Sequential, an attribute changed, eval() capture again; a parameter given a new array
    # of its shape is read at the next replay
    def run(compiled):
        model = _model()
        fn = torch.compile(model) if compiled else model
        torch.manual_seed(1)
        x = torch.tensor(XS[0])
        out = [fn(x).detach().numpy().tobytes()]
        model[2].p = 0.5  # a plain attribute (Dropout's rate)
        out.append(fn(x).detach().numpy().tobytes())
        torch.manual_seed(2)
        model[0] = nn.Linear(6, 16)  # a container's own table changed
        out.append(fn(x).detach().numpy().tobytes())
        model.eval()  # training flags set without __setattr__
        out.append(fn(x).detach().numpy().tobytes())
        with torch.no_grad():
            model[3].weight.data = torch.tensor(np.ones((3, 16), np.float32))
        out.append(fn(x).detach().numpy().tobytes())
        out.append(fn(x).detach().numpy().tobytes())
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager
    assert fn._compiled.captures == 4


@pytest.mark.parametrize("make", ["sgd_momentum_wd", "adam", "nadam"])
@pytest.mark.parametrize("clip", ["norm", "value", "both"])
def test_gradient_clipping_between_backward_and_step_is_in_the_plan(clip, make):
    # clipping writes the .grad arrays in place; it runs inside the plan's update node, on the
    # gradients the plan computed, before the optimizer's step; the norm it returns is usable
    def run(compiled):
        model = _model()
        opt = OPTIMIZERS[make](model.parameters())

        def step(x, y):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            norm = None
            if clip in ("norm", "both"):
                norm = nn.utils.clip_grad_norm_(model.parameters(), 0.05)  # a generator
            if clip in ("value", "both"):
                nn.utils.clip_grad_value_(model.parameters(), 0.01)
            opt.step()
            return loss, norm

        fn = torch.compile(step) if compiled else step
        torch.manual_seed(4)
        out = []
        for k in range(6):
            loss, norm = fn(torch.tensor(XS[k]), torch.tensor(YS[k]))
            out.append(loss.detach().numpy().tobytes())
            out.append(None if norm is None else norm.numpy().tobytes())
            out += [p.detach().numpy().tobytes() for p in model.parameters()]
            out += [p.grad.numpy().tobytes() for p in model.parameters()]
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager and fn.captures == 1
    assert not fn.breaks
    (ts,) = [s for s in _steps(fn) if type(s) is TrainStep]
    assert ts.plan.runs == 5


def test_zero_grad_keeping_the_tensors_is_part_of_the_plan():
    # zero_grad(set_to_none=False) zeroes the .grad tensors in place; backward then adds into
    # them (0 + g, as eager: a -0.0 gradient becomes +0.0), and a held .grad sees the values
    def run(compiled):
        model = _model()
        opt = O.SGD(model.parameters(), lr=0.1, momentum=0.9)
        held = []

        def step(x, y):
            opt.zero_grad(set_to_none=False)
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        fn = torch.compile(step) if compiled else step
        torch.manual_seed(4)
        out = []
        for k in range(6):
            out.append(fn(torch.tensor(XS[k]), torch.tensor(YS[k])).detach().numpy().tobytes())
            if k == 1:
                held = [p.grad for p in model.parameters()]
            out += [p.detach().numpy().tobytes() for p in model.parameters()]
            out += [p.grad.numpy().tobytes() for p in model.parameters()]
            out += [p.grad._version for p in model.parameters()]
        out += [h.numpy().tobytes() for h in held]
        out += [h is p.grad for h, p in zip(held, model.parameters(), strict=True)]
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager and fn.captures == 1
    (ts,) = [s for s in _steps(fn) if type(s) is TrainStep]
    assert ts.plan.runs == 5


def test_a_module_class_without_a_hash_is_still_guarded():
    class Scaled(nn.Module):
        __hash__ = None  # e.g. a class that defines __eq__

        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 3)
            self.scale = 2.0

        def forward(self, x):
            return self.lin(x) * self.scale

    torch.manual_seed(0)
    m = Scaled()
    fn = torch.compile(m)
    x = torch.tensor(XS[0])
    fn(x)
    fn(x)
    m.scale = 3.0
    assert fn(x).detach().numpy().tobytes() == m(x).detach().numpy().tobytes()
    assert fn._compiled.captures == 2


def test_verify_mode_does_not_run_the_update_twice(monkeypatch):
    # verify mode runs each plan twice (optimised and plain); the step's plan writes the
    # parameters in place, so it must run once
    monkeypatch.setenv("DUOGRAD_VERIFY_PASSES", "1")
    eager, _ = _run(False, OPTIMIZERS["adam"], sched=False)
    compiled, fn = _run(True, OPTIMIZERS["adam"], sched=False)
    assert compiled == eager
    assert TrainStep in [type(s) for s in _steps(fn)]


def test_two_optimizers_a_frozen_bias_and_clipping_in_one_step():
    # the first step after backward joins the plan; the second optimizer's step stays a call
    # and reads the gradients the plan's update node left in .grad
    def run(compiled):
        model = _model()
        model[0].bias.requires_grad_(False)
        first = O.Adam([model[0].weight], lr=1e-2)
        second = O.NAdam(list(model[3].parameters()), lr=1e-2)

        def step(x, y):
            first.zero_grad()
            second.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            first.step()
            second.step()
            return loss, norm

        fn = torch.compile(step) if compiled else step
        torch.manual_seed(6)
        out = []
        for k in range(5):
            loss, norm = fn(torch.tensor(XS[k]), torch.tensor(YS[k]))
            out += [loss.detach().numpy().tobytes(), norm.numpy().tobytes()]
            out += [p.detach().numpy().tobytes() for p in model.parameters()]
        return out, fn

    (eager, _), (compiled, fn) = run(False), run(True)
    assert compiled == eager and not fn.breaks
    assert [type(s).__name__ for s in _steps(fn)] == ["Call", "TrainStep", "Call"]
