"""Whole programs in everyday PyTorch style, run on duograd and on real torch (only the import
differs): a WGAN critic trained with a gradient penalty, and a small GroupNorm CNN classifier
scored with top-k accuracy."""

from __future__ import annotations

import duograd.frontends.eager as dg
import numpy as np
import pytest

PROGRAM_WGAN_GP = """
import torch
import torch.nn as nn

torch.manual_seed(0)
critic = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
critic = critic.double()
opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))


def gradient_penalty(critic, real, fake, alpha):
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    score = critic(mixed)
    grad, = torch.autograd.grad(score, mixed, grad_outputs=torch.ones_like(score),
                                create_graph=True, retain_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


history = []
for step in range(STEPS):
    real = REAL[step]
    fake = FAKE[step]
    alpha = ALPHA[step]
    opt.zero_grad()
    loss = critic(fake).mean() - critic(real).mean() + 10.0 * gradient_penalty(
        critic, real, fake, alpha)
    loss.backward()
    opt.step()
    history.append(loss.item())
"""

PROGRAM_GROUPNORM_CNN = """
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm(self.conv(x))), 2)
        x = F.pad(x, (0, 0, 0, 0))
        return self.fc(x.view(x.size(0), -1))


net = Net().double()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
history = []
for epoch in range(STEPS):
    opt.zero_grad()
    out = net(IMAGES)
    loss = F.cross_entropy(out, LABELS)
    loss.backward()
    opt.step()
    history.append(loss.item())
_, top2 = net(IMAGES).topk(2, dim=1)
top2_acc = (top2 == LABELS.view(-1, 1)).any(dim=1).double().mean().item()
"""


def _run(program: str, lib, data: dict) -> dict:
    """Run a program with `torch` bound to `lib` (the import lines resolve to it)."""
    import sys

    saved = {k: sys.modules.get(k) for k in ("torch", "torch.nn", "torch.nn.functional")}
    sys.modules["torch"] = lib
    sys.modules["torch.nn"] = lib.nn
    sys.modules["torch.nn.functional"] = lib.nn.functional
    try:
        ns = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in data.items()}
        exec(compile(program, "<program>", "exec"), ns)
        return ns
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def _same_start(lib_a, lib_b, module_a, module_b) -> None:
    """Copy module_a's initial weights into module_b (the two random streams differ)."""
    with lib_b.no_grad():
        for pa, pb in zip(module_a.parameters(), module_b.parameters(), strict=True):
            pb.copy_(lib_b.tensor(pa.detach().numpy()))


def test_wgan_gp_critic_runs_and_matches_torch():
    rt = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    steps = 15
    data = {
        "STEPS": 0,
        "REAL": list(rng.standard_normal((steps, 32, 2)) + 2.0),
        "FAKE": list(rng.standard_normal((steps, 32, 2))),
        "ALPHA": list(rng.random((steps, 32, 1))),
    }
    ours0 = _run(PROGRAM_WGAN_GP, dg, data)  # builds the critic, no steps yet
    theirs0 = _run(PROGRAM_WGAN_GP, rt, data)
    assert ours0["history"] == [] and theirs0["history"] == []
    # the same program with steps, both libraries starting from the same weights
    prog = PROGRAM_WGAN_GP.replace(
        "critic = critic.double()", "critic = critic.double()\nINIT(critic)"
    )
    results = {}
    for name, lib in (("ours", dg), ("theirs", rt)):
        d = dict(data, STEPS=steps)
        d["REAL"] = [lib.tensor(a) for a in data["REAL"]]
        d["FAKE"] = [lib.tensor(a) for a in data["FAKE"]]
        d["ALPHA"] = [lib.tensor(a) for a in data["ALPHA"]]
        d["INIT"] = lambda m, lib=lib: _same_start(rt, lib, theirs0["critic"], m)
        results[name] = _run(prog, lib, d)["history"]
    np.testing.assert_allclose(results["ours"], results["theirs"], rtol=1e-9, atol=1e-10)
    assert results["ours"][-1] < results["ours"][0]


def test_groupnorm_cnn_trains_and_matches_torch():
    rt = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, 20)
    images = rng.standard_normal((20, 1, 8, 8)) * 0.3
    for i, c in enumerate(labels):  # a learnable signal: a bright block per class
        images[i, 0, c : c + 3, c : c + 3] += 1.0
    data = {"STEPS": 0, "IMAGES": images, "LABELS": labels}
    theirs0 = _run(PROGRAM_GROUPNORM_CNN, rt, data)
    prog = PROGRAM_GROUPNORM_CNN.replace("net = Net().double()", "net = Net().double()\nINIT(net)")
    results = {}
    for name, lib in (("ours", dg), ("theirs", rt)):
        d = dict(data, STEPS=25)
        d["INIT"] = lambda m, lib=lib: _same_start(rt, lib, theirs0["net"], m)
        results[name] = _run(prog, lib, d)
    np.testing.assert_allclose(
        results["ours"]["history"], results["theirs"]["history"], rtol=1e-8, atol=1e-10
    )
    assert results["ours"]["top2_acc"] == results["theirs"]["top2_acc"]
    assert results["ours"]["history"][-1] < 0.5 * results["ours"]["history"][0]
