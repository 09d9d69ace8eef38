"""A compiled training step applies to every parameter or to none, as eager's ``step()``.

The plan's last node is the update: a failure in it (an error raised by an update, Ctrl-C
between two parameters' writes) must leave the parameters and the optimizer state as they were
before the call, and the next calls must go on as eager's do after the same failure.
"""

from __future__ import annotations

import signal

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.frontends.eager.capture_step import TrainStep
from update_faults import Patch, fail_kernel, interrupt_after

nn = torch.nn
O = torch.optim
RNG = np.random.default_rng(5)
XS = [RNG.standard_normal((8, 6)).astype(np.float32) for _ in range(6)]
YS = [RNG.integers(0, 3, 8) for _ in range(6)]


def _model(big: bool):
    torch.manual_seed(0)
    # big: the first weight is past SKIP_COPY_MIN_BYTES, so the step keeps no copy of it and
    # holds Ctrl-C back instead (see optim/interrupts.py)
    width = 300 if big else 16
    return nn.Sequential(nn.Linear(6, width), nn.Tanh(), nn.Linear(width, 3))


def _snapshot(model, opt) -> list:
    snap = []
    for p in model.parameters():
        snap += [p.detach().numpy().tobytes(), p._version]
        snap.append(None if p.grad is None else p.grad.numpy().tobytes())
    for idx, st in sorted(opt.state_dict()["state"].items()):
        for k, v in sorted(st.items()):
            v = v.numpy() if isinstance(v, torch.Tensor) else v
            snap.append((idx, k, v.tobytes() if isinstance(v, np.ndarray) else v))
    return snap


def _train(compiled: bool, make, inject, big: bool = False) -> tuple:
    """Two calls, a call with `inject` in force (it must raise), two more: the snapshots."""
    model = _model(big)
    opt = make(model.parameters())
    lossf = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = lossf(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step) if compiled else step
    args = [(torch.tensor(x), torch.tensor(y)) for x, y in zip(XS, YS, strict=True)]
    fn(*args[0])
    fn(*args[1])
    before = _snapshot(model, opt)
    with inject(opt) as expected, pytest.raises(expected) as info:
        fn(*args[2])
    failed = _snapshot(model, opt)
    fn(*args[3])
    fn(*args[4])
    # whether the failure came from inside the plan's update node
    in_plan = any(e.name == "_effect" for e in info.traceback)
    return before, failed, _snapshot(model, opt), (fn, in_plan)


def _plan_runs(fn) -> int:
    (entry,) = fn.cache.values()
    (ts,) = [s for s in entry.programs[0].steps if type(s) is TrainStep]
    return ts.plan.runs


KERNEL_CASES = {
    "sgd_momentum": (lambda p: O.SGD(p, lr=0.1, momentum=0.9), "momentum_"),
    "adam": (lambda p: O.Adam(p, lr=1e-2), "adam_"),
}


@pytest.mark.parametrize("at", [1, 2, 3, 4])
@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
def test_a_failing_update_changes_nothing_and_matches_eager(case, at):
    make, kernel = KERNEL_CASES[case]
    eager = _train(False, make, fail_kernel(kernel, at))
    compiled = _train(True, make, fail_kernel(kernel, at))
    before, failed, after, fn = compiled
    # parameters and state as before the call (the gradients are the new ones, as eager's)
    assert [s for s in failed if type(s) is tuple] == [s for s in before if type(s) is tuple]
    assert failed[0::3] == before[0::3] and failed[1::3][:6] == before[1::3][:6]
    assert compiled[:3] == eager[:3]
    fn, in_plan = fn
    assert in_plan and fn.captures == 1 and _plan_runs(fn) == 3  # runs that completed


def _fail_generic_update(opt):
    """A generic (core ops) optimizer whose update raises after writing two parameters."""

    def make_fake(real):
        def flaky(group, pairs):
            real(group, pairs[:2])
            raise MemoryError("simulated failure")

        return flaky

    return Patch(opt, "_update", make_fake, MemoryError)


@pytest.mark.parametrize("make", [lambda p: O.NAdam(p, lr=1e-2), lambda p: O.Rprop(p, lr=1e-2)])
def test_a_generic_optimizer_failing_midway_is_rolled_back(make):
    eager = _train(False, make, _fail_generic_update)
    compiled = _train(True, make, _fail_generic_update)
    before, failed, _after, fn = compiled
    assert failed[0::3] == before[0::3]  # every parameter as before
    assert compiled[:3] == eager[:3]
    assert fn[1] and _plan_runs(fn[0]) == 3


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("at", [1, 2, 4])
def test_ctrl_c_between_the_writes_leaves_the_step_whole(big, at):
    make = KERNEL_CASES["adam"][0]
    # Python's own Ctrl-C handler, whatever this process inherited (a background job starts
    # with SIGINT ignored, and then the raised signal would never interrupt)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        eager = _train(False, make, interrupt_after("adam_", at), big)
        compiled = _train(True, make, interrupt_after("adam_", at), big)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)
    before, failed, _after, (_fn, in_plan) = compiled
    assert in_plan
    params = failed[0::3]
    # either no parameter was stepped (rolled back) or all were (Ctrl-C held to the end)
    assert params == before[0::3] or all(a != b for a, b in zip(params, before[0::3], strict=True))
    assert compiled[:3] == eager[:3]
