"""A whole program in everyday PyTorch style using the layers of this batch (a CycleGAN-style
residual generator with reflection padding and instance norm, an ESPCN-style pixel-shuffle
upsampler, Mish, RMSNorm, a weighted loss): three Adam steps give the same losses and weights as
real torch from the same initial weights."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

T = pytest.importorskip("torch")


def build(nn):
    # a bias before instance norm has a zero gradient (norm removes it) and Adam would amplify
    # rounding noise there, so the convolutions feeding a norm have none (as CycleGAN's)
    class ResBlock(nn.Module):
        def __init__(self, ch):
            super().__init__()
            self.body = nn.Sequential(
                nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=False),
                nn.InstanceNorm2d(ch, affine=True),
                nn.Mish(), nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=False),
                nn.InstanceNorm2d(ch, affine=True),
            )  # fmt: skip

        def forward(self, x):
            return x + self.body(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Sequential(nn.ReplicationPad2d(2), nn.Conv2d(3, 8, 5), nn.GLU(dim=1))
            self.res = ResBlock(4)
            self.up = nn.Sequential(nn.Conv2d(4, 3 * 4, 3, padding=1), nn.PixelShuffle(2))
            self.norm = nn.RMSNorm([3, 16, 16])
            self.cls = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 5))

        def forward(self, x):
            y = self.norm(self.up(self.res(self.head(x))))
            return y, self.cls(y)

    return Net()


def test_program_trains_like_torch():
    rng = np.random.default_rng(20)
    ours, theirs = build(torch.nn), build(T.nn)
    theirs.load_state_dict({k: T.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    target = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    labels = np.array([1, 4])
    weight = np.array([1.0, 2.0, 0.5, 1.0, 3.0], np.float32)
    opt = torch.optim.Adam(ours.parameters(), lr=1e-2)
    topt = T.optim.Adam(theirs.parameters(), lr=1e-2)
    ce, tce = (
        torch.nn.CrossEntropyLoss(torch.tensor(weight)),
        T.nn.CrossEntropyLoss(T.tensor(weight)),
    )
    for _ in range(3):
        y, logits = ours(torch.tensor(x))
        loss = torch.nn.functional.l1_loss(y, torch.tensor(target)) + ce(
            logits, torch.tensor(labels)
        )
        ty, tlogits = theirs(T.tensor(x))
        tloss = T.nn.functional.l1_loss(ty, T.tensor(target)) + tce(tlogits, T.tensor(labels))
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-4)
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=k)  # fmt: skip
