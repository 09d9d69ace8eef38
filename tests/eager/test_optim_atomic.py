"""An optimizer step applies to every parameter or to none, and its copies change no bits.

The step copies every parameter (and its state) except the one it updates last, the largest of
the last group, which it moves to the end: these tests fail the update of each parameter in
turn and check that everything is restored, and check that the order changes no result.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest
from duograd.core.kernels import update as U

nn = torch.nn

KERNELS = {"sgd": "sgd_", "momentum": "momentum_", "adam": "adam_", "rmsprop": "rmsprop_"}


def _make(kind: str, params, **kw):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, **kw)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9, **kw)
    if kind == "adam":
        return torch.optim.Adam(params, lr=0.1, **kw)
    return torch.optim.RMSprop(params, lr=0.01, momentum=0.5, **kw)


def _model(seed: int = 0):
    torch.manual_seed(seed)
    # the largest parameter is first, so the step moves it
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))


def _grads(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.grad = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))


def _snapshot(model, opt) -> list:
    snap = [p.detach().numpy().tobytes() for p in model.parameters()]
    for idx, st in sorted(opt.state_dict()["state"].items()):
        for k, v in sorted(st.items()):
            snap.append((idx, k, np.asarray(v.numpy() if hasattr(v, "numpy") else v).tobytes()))
    return snap


@pytest.mark.parametrize("kind", list(KERNELS))
def test_atomic_steps_give_the_bits_of_plain_steps(kind):
    models = [_model(), _model()]
    opts = [_make(kind, m.parameters()) for m in models]
    opts[1].atomic_step = False  # no copies, parameters in their own order
    for step in range(4):
        for m in models:
            _grads(m, step)
        for o in opts:
            o.step()
    assert _snapshot(models[0], opts[0]) == _snapshot(models[1], opts[1])


@pytest.mark.parametrize("first_step", [True, False])
@pytest.mark.parametrize("kind", list(KERNELS))
def test_a_failure_in_any_update_changes_nothing(monkeypatch, kind, first_step):
    name = KERNELS[kind]
    real = getattr(U, name)
    n = len(list(_model().parameters()))
    for fail_at in range(1, n + 1):
        model = _model()
        opt = _make(kind, model.parameters())
        if not first_step:  # state exists and must survive too
            _grads(model, 0)
            opt.step()
        _grads(model, 1)
        before = _snapshot(model, opt)
        calls = []

        def flaky(*args, _at=fail_at, _calls=calls, **kwargs):
            _calls.append(1)
            if len(_calls) == _at:
                raise MemoryError("simulated failure")
            return real(*args, **kwargs)

        monkeypatch.setattr(U, name, flaky)
        with pytest.raises(MemoryError, match="simulated"):
            opt.step()
        monkeypatch.setattr(U, name, real)
        assert _snapshot(model, opt) == before, f"failure in update {fail_at}"
        # and the optimizer still steps as one that never failed
        twin = _model()
        twin_opt = _make(kind, twin.parameters())
        if not first_step:
            _grads(twin, 0)
            twin_opt.step()
        for m, o in ((model, opt), (twin, twin_opt)):
            _grads(m, 1)
            o.step()
        assert _snapshot(model, opt) == _snapshot(twin, twin_opt)


def test_parameters_sharing_memory_keep_their_order():
    base = np.linspace(-1, 1, 12, dtype=np.float32)

    def run(atomic: bool) -> bytes:
        mem = base.copy()
        small = nn.Parameter(torch.from_numpy(mem[:4]))
        big = nn.Parameter(torch.from_numpy(mem))  # overlaps the small one
        opt = torch.optim.SGD([big, small], lr=0.5)
        opt.atomic_step = atomic
        big.grad = torch.ones(12)
        small.grad = torch.full((4,), 2.0)
        opt.step()
        return mem.tobytes()

    assert run(True) == run(False)


def test_parameter_groups_roll_back_together(monkeypatch):
    model = _model()
    opt = torch.optim.Adam(
        [{"params": [model[0].weight, model[0].bias]}, {"params": list(model[2].parameters())}],
        lr=0.1,
    )
    _grads(model, 0)
    opt.step()
    _grads(model, 1)
    before = _snapshot(model, opt)
    real = U.adam_
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # the last update: the second group's largest parameter
            raise MemoryError("simulated failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(U, "adam_", flaky)
    with pytest.raises(MemoryError):
        opt.step()
    assert _snapshot(model, opt) == before


def _big_model(seed: int = 0):
    torch.manual_seed(seed)
    # the first weight is past SKIP_COPY_MIN_BYTES, so the step keeps no copy of it
    return nn.Sequential(nn.Linear(300, 256), nn.Tanh(), nn.Linear(256, 3))


@pytest.mark.parametrize("interrupt_at", [1, 2, 4])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_ctrl_c_during_the_writes_leaves_the_step_whole(monkeypatch, kind, interrupt_at):
    import signal

    from duograd.frontends.eager.optim.optimizer import SKIP_COPY_MIN_BYTES

    assert _big_model()[0].weight.detach().numpy().nbytes >= SKIP_COPY_MIN_BYTES
    name = KERNELS[kind]
    real = getattr(U, name)
    models = [_big_model(), _big_model()]
    opts = [_make(kind, m.parameters()) for m in models]
    for m in models:
        _grads(m, 0)
    calls = []

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == interrupt_at:  # Ctrl-C right after a kernel wrote
            signal.raise_signal(signal.SIGINT)

    # Python's own Ctrl-C handler, whatever this process inherited (a background job starts
    # with SIGINT ignored, and then the raised signal would never interrupt)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        handler = signal.getsignal(signal.SIGINT)
        monkeypatch.setattr(U, name, interrupted)
        with pytest.raises(KeyboardInterrupt):
            opts[0].step()
        monkeypatch.setattr(U, name, real)
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, inherited)
    opts[1].step()  # the same step, uninterrupted
    assert _snapshot(models[0], opts[0]) == _snapshot(models[1], opts[1])


def test_an_ignored_ctrl_c_stays_ignored():
    import signal

    model = _big_model()
    opt = _make("sgd", model.parameters())
    _grads(model, 0)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        opt.step()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
