"""NAdam, RAdam and Rprop against real torch: the same parameters after several steps."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")

W0 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
X = np.cos(np.arange(20.0)).reshape(5, 4)


def _train(lib, name, kwargs, steps=12):
    w = lib.tensor(W0, requires_grad=True)
    opt = getattr(lib.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = (lib.tanh(lib.tensor(X) @ w.t()) ** 2).sum() + (w**2).sum() * 0.1
        loss.backward()
        opt.step()
    return w.detach().numpy()


CASES = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.01}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_optimizer_matches_torch(name, kwargs):
    ours = _train(torch, name, kwargs)
    theirs = _train(rt, name, kwargs)
    assert not np.allclose(ours, W0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


def test_bad_arguments_are_refused():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="NAdam"):
        torch.optim.NAdam([w], lr=-1.0)
    with pytest.raises(ValueError, match="eta"):
        torch.optim.Rprop([w], etas=(1.5, 0.5))
