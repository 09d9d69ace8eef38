"""Two inputs through conv2d then relu, both gradients asked at once: each input gets its own
gradient (a reused kernel scratch buffer once handed the second branch the first's values)."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

real = pytest.importorskip("torch")


def _grads(T, x, x2, w):
    a, b = (T.from_numpy(v.copy()).requires_grad_() for v in (x, x2))
    k = T.from_numpy(w.copy()).requires_grad_()
    f = T.nn.functional
    y = T.relu(f.conv2d(a, k)).sum() + T.relu(f.conv2d(b, k)).sum()
    return [g.detach().numpy() for g in T.autograd.grad(y, [a, b, k])]


@pytest.mark.parametrize("out_channels", [1, 4])
def test_each_branch_gets_its_own_gradient(out_channels):
    r = np.random.default_rng(0)
    x, x2 = (r.standard_normal((4, 1, 8, 8)).astype(np.float32) for _ in range(2))
    w = r.standard_normal((out_channels, 1, 3, 3)).astype(np.float32)
    ours, want = _grads(torch, x, x2, w), _grads(real, x, x2, w)
    assert not np.array_equal(ours[0], ours[1])
    for g, t in zip(ours, want, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-5)
