"""A compiled training step that fails leaves eager's state: the forward's in-place writes.

Eager's forward writes into its arguments (``x.add_``, ``buf.copy_``) and BatchNorm's running
statistics before ``step()`` runs, so when the update fails (an error, Ctrl-C rolled back)
those writes stay made while the parameters and the optimizer state stay as before. The
compiled call must leave the same bits, version counters and error. A failure in the forward
part leaves the writes eager makes before its failing op.
"""

from __future__ import annotations

import signal

import duograd.frontends.eager as torch
import numpy as np
import pytest
from update_faults import fail_kernel, interrupt_after

nn = torch.nn
O = torch.optim
RNG = np.random.default_rng(11)
XS = [RNG.standard_normal((8, 6)).astype(np.float32) for _ in range(5)]
YS = [RNG.integers(0, 3, 8) for _ in range(5)]


def _bits(t) -> tuple:
    return t.detach().numpy().tobytes(), t._version


def _snapshot(model, opt, x, buf) -> dict:
    bn = model[1]
    snap = {
        "params": [_bits(p) for p in model.parameters()],
        "grads": [None if p.grad is None else p.grad.numpy().tobytes() for p in model.parameters()],
        "buffers": [_bits(b) for b in (bn.running_mean, bn.running_var, bn.num_batches_tracked)],
        "x": _bits(x),
        "buf": _bits(buf),
        "state": [],
    }
    for idx, st in sorted(opt.state_dict()["state"].items()):
        for k, v in sorted(st.items()):
            v = v.numpy() if isinstance(v, torch.Tensor) else v
            snap["state"].append((idx, k, v.tobytes() if isinstance(v, np.ndarray) else v))
    return snap


def _train(compiled: bool, make, inject, bad_target: bool = False, late: bool = False) -> tuple:
    """Two calls, a failing one (`inject` in force), one more: the snapshots and the error."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3))
    opt = make(model.parameters())
    lossf = nn.CrossEntropyLoss()

    def step(x, y, buf):
        opt.zero_grad()
        x.add_(1.0)  # in-place writes to arguments, made by the forward
        if not late:
            buf.copy_(x.mean(0))
        loss = lossf(model(x), y)
        if late:  # after the loss: not made when the loss fails
            buf.copy_(x.mean(0))
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step) if compiled else step
    buf = torch.zeros(6)
    xs = [torch.tensor(x) for x in XS]
    ys = [torch.tensor(y) for y in YS]
    fn(xs[0], ys[0], buf)
    fn(xs[1], ys[1], buf)
    before = _snapshot(model, opt, xs[2], buf)
    y = torch.tensor(YS[2] + 5) if bad_target else ys[2]
    with inject(opt) as expected, pytest.raises(expected) as info:
        fn(xs[2], y, buf)
    failed = _snapshot(model, opt, xs[2], buf)
    error = (info.type, str(info.value))
    if not bad_target:
        fn(xs[3], ys[3], buf)
    after = _snapshot(model, opt, xs[3], buf)
    return before, failed, after, error


class _Nothing:
    """No injection: the call fails by itself."""

    def __init__(self, expected) -> None:
        self.expected = expected

    def __call__(self, opt):
        return self

    def __enter__(self):
        return self.expected

    def __exit__(self, *exc) -> None:
        return None


def _sgd(p):
    return O.SGD(p, lr=0.1, momentum=0.9)


def _adam(p):
    return O.Adam(p, lr=1e-2)


def _check_update_failure(eager: tuple, compiled: tuple) -> None:
    before, failed, _after, _error = compiled
    # the forward's writes are made: the argument, the buffer and BatchNorm's statistics
    assert failed["x"][0] != before["x"][0] and failed["x"][1] == before["x"][1] + 1
    assert failed["buf"][0] != before["buf"][0]
    assert all(f[0] != b[0] for f, b in zip(failed["buffers"], before["buffers"], strict=True))
    # the step is not: parameters and the optimizer state as before the call
    assert failed["params"] == before["params"] and failed["state"] == before["state"]
    # and every bit, version counter and the error itself as eager's, then and after a call
    assert compiled == eager


@pytest.mark.parametrize("at", [1, 3])
@pytest.mark.parametrize("make", [_sgd, _adam], ids=["sgd", "adam"])
def test_a_failing_update_keeps_the_forward_writes_as_eager(make, at):
    kernel = "momentum_" if make is _sgd else "adam_"
    eager = _train(False, make, fail_kernel(kernel, at))
    compiled = _train(True, make, fail_kernel(kernel, at))
    _check_update_failure(eager, compiled)


@pytest.mark.parametrize("at", [1, 2])
def test_ctrl_c_in_the_update_keeps_the_forward_writes_as_eager(at):
    # Python's own Ctrl-C handler, whatever this process inherited (see the atomic tests)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        eager = _train(False, _adam, interrupt_after("adam_", at))
        compiled = _train(True, _adam, interrupt_after("adam_", at))
    finally:
        signal.signal(signal.SIGINT, inherited)
    _check_update_failure(eager, compiled)


@pytest.mark.parametrize("late", [False, True], ids=["writes_before", "a_write_after"])
def test_a_failing_forward_makes_the_writes_eager_makes_before_it(late):
    """An out-of-range target fails the loss: the writes recorded before it are made (the
    argument, BatchNorm's statistics, the buffer unless it is written after the loss), the
    step is not; the same exception type (the message names the plan's node instead)."""
    eager = _train(False, _sgd, _Nothing(IndexError), bad_target=True, late=late)
    compiled = _train(True, _sgd, _Nothing(IndexError), bad_target=True, late=late)
    before, failed, _after, error = compiled
    assert error[0] is eager[3][0] is IndexError and "out of bounds" in error[1]
    assert failed["x"][1] == before["x"][1] + 1 and failed["params"] == before["params"]
    assert all(f[0] != b[0] for f, b in zip(failed["buffers"], before["buffers"], strict=True))
    assert (failed["buf"] == before["buf"]) is late
    assert failed["grads"] == [None] * 6  # zero_grad ran, as eager's
    assert compiled[:3] == eager[:3]


def test_batchnorm_running_statistics_are_updated_by_each_compiled_call():
    def run(compiled: bool) -> list:
        torch.manual_seed(0)
        bn = nn.BatchNorm1d(6)
        fn = torch.compile(bn) if compiled else bn
        out = []
        for x in XS:
            y = fn(torch.tensor(x))
            out.append((y.detach().numpy().tobytes(),
                        *(_bits(b) for b in (bn.running_mean, bn.running_var))))  # fmt: skip
        return out

    eager, compiled = run(False), run(True)
    assert len({o[1] for o in eager}) == len(XS)  # the statistics move with each batch
    assert compiled == eager
