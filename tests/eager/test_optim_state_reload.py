"""Every optimizer's state_dict loads back into a fresh optimizer and training goes on bitwise
as if it had never stopped; a state of the wrong shape is refused, naming the optimizer."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

O = dg.optim

OPTIMIZERS = {
    "sgd_momentum": lambda p: O.SGD(p, lr=0.1, momentum=0.9),
    "adam_amsgrad": lambda p: O.Adam(p, lr=1e-2, amsgrad=True),
    "adamw": lambda p: O.AdamW(p, lr=1e-2, weight_decay=0.1),
    "rmsprop_centered": lambda p: O.RMSprop(p, lr=1e-2, centered=True, momentum=0.5),
    "adagrad": lambda p: O.Adagrad(p, lr=0.1),
    "adadelta": lambda p: O.Adadelta(p, lr=0.5),
    "adamax": lambda p: O.Adamax(p, lr=1e-2),
    "nadam": lambda p: O.NAdam(p, lr=1e-2),
    "radam": lambda p: O.RAdam(p, lr=1e-2),
    "asgd": lambda p: O.ASGD(p, lr=1e-2, t0=1),
    "rprop": lambda p: O.Rprop(p, lr=1e-2),
    "adafactor": lambda p: O.Adafactor(p, lr=1e-2, weight_decay=1e-3),
    "muon": lambda p: O.Muon([q for q in p if q.dim() == 2], lr=2e-2),
}


def _model(seed: int) -> dg.nn.Module:
    dg.manual_seed(seed)
    return dg.nn.Sequential(dg.nn.Linear(5, 4), dg.nn.Tanh(), dg.nn.Linear(4, 2))


def _step(model: dg.nn.Module, opt: O.Optimizer, k: int) -> None:
    rng = np.random.default_rng(k)
    x = dg.tensor(rng.standard_normal((6, 5)).astype(np.float32))
    opt.zero_grad()
    model(x).square().mean().backward()
    opt.step()


def _weights(model: dg.nn.Module) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_reloaded_state_continues_bitwise(name):
    straight = _model(0)
    opt = OPTIMIZERS[name](list(straight.parameters()))
    for k in range(6):
        _step(straight, opt, k)

    resumed = _model(0)
    first = OPTIMIZERS[name](list(resumed.parameters()))
    for k in range(3):
        _step(resumed, first, k)
    saved = first.state_dict()
    for k in range(3):  # the saved state must not follow the optimizer it came from
        _step(resumed, first, 100 + k)
    resumed.load_state_dict(_model_state_after(name, 3))
    again = OPTIMIZERS[name](list(resumed.parameters()))
    again.load_state_dict(saved)
    for k in range(3, 6):
        _step(resumed, again, k)

    for a, b in zip(_weights(straight), _weights(resumed), strict=True):
        assert a.tobytes() == b.tobytes()


def _model_state_after(name: str, steps: int) -> dict:
    """The model's state dict after `steps` uninterrupted steps of optimizer `name`."""
    model = _model(0)
    opt = OPTIMIZERS[name](list(model.parameters()))
    for k in range(steps):
        _step(model, opt, k)
    return model.state_dict()


def test_adafactor_keeps_torchs_factored_state_shapes():
    torch = pytest.importorskip("torch")
    shapes = []
    for lib in (dg, torch):
        module = lib.nn.Linear(5, 4)
        opt = lib.optim.Adafactor(module.parameters(), lr=1e-2)
        module(lib.ones(3, 5)).sum().backward()
        opt.step()
        state = opt.state_dict()["state"][0]
        shapes.append({k: tuple(v.shape) for k, v in state.items() if k != "step"})
    assert shapes[0] == shapes[1]
    assert shapes[0]["row_var"] == (4, 1)


def test_state_of_the_wrong_shape_is_refused_naming_the_optimizer():
    model = dg.nn.Linear(5, 4)
    opt = O.Adafactor(model.parameters(), lr=1e-2)
    model(dg.ones(3, 5)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["row_var"] = dg.zeros(4, 5)
    fresh = O.Adafactor(model.parameters(), lr=1e-2)
    with pytest.raises(ValueError, match=r"Adafactor keeps \(4, 1\)"):
        fresh.load_state_dict(saved)
    assert not fresh.state
