"""optim.ASGD and lr_scheduler.CyclicLR against real torch: the same parameters, averages,
learning rates and momentums after several steps."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")

W0 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
X = np.cos(np.arange(20.0)).reshape(5, 4)


def _loss(lib, w):
    return (lib.tanh(lib.tensor(X) @ w.t()) ** 2).sum() + (w**2).sum() * 0.1


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 3, "weight_decay": 0.05}],
    ids=["defaults", "averaging"],
)
def test_asgd_matches_torch(kwargs):
    out = []
    for lib in (torch, rt):
        w = lib.tensor(W0, requires_grad=True)
        opt = lib.optim.ASGD([w], **kwargs)
        for _ in range(12):
            opt.zero_grad()
            _loss(lib, w).backward()
            opt.step()
        ax = opt.state[w]["ax"]
        out.append((w.detach().numpy(), np.asarray(ax.numpy() if hasattr(ax, "numpy") else ax)))
    (wa, aa), (wb, ab) = out
    assert not np.allclose(wa, W0)
    np.testing.assert_allclose(wa, wb, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(aa, ab, rtol=1e-9, atol=1e-9)


CYCLIC = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9},
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "step_size_down": 4,
      "mode": "triangular2"}),
    ("Adam", {"lr": 0.1}, {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3,
                           "mode": "exp_range", "gamma": 0.9}),
    ("SGD", {"lr": 0.1}, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                          "cycle_momentum": False}),
]  # fmt: skip


@pytest.mark.parametrize("opt_name,opt_kw,kw", CYCLIC)
def test_cyclic_lr_matches_torch(opt_name, opt_kw, kw):
    traces = []
    for lib in (torch, rt):
        w = lib.tensor(W0, requires_grad=True)
        opt = getattr(lib.optim, opt_name)([w], **opt_kw)
        sched = lib.optim.lr_scheduler.CyclicLR(opt, **kw)
        trace = []
        for _ in range(14):
            opt.zero_grad()
            _loss(lib, w).backward()
            opt.step()
            sched.step()
            g = opt.param_groups[0]
            trace.append((g["lr"], g.get("momentum", g.get("betas", (0,))[0])))
        traces.append((np.array(trace), w.detach().numpy()))
    np.testing.assert_allclose(traces[0][0], traces[1][0], rtol=1e-12)
    np.testing.assert_allclose(traces[0][1], traces[1][1], rtol=1e-9, atol=1e-9)


def test_cyclic_lr_needs_momentum():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="momentum"):
        torch.optim.lr_scheduler.CyclicLR(torch.optim.Adagrad([w]), 0.01, 0.1)
