"""Module hooks as torch has them: forward, forward pre and full backward hooks."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest


def _lin():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))


def test_full_backward_hook_sees_and_replaces_grad_input():
    m = _lin()
    seen = []

    def hook(module, grad_input, grad_output):
        seen.append((grad_input[0].numpy().copy(), grad_output[0].numpy().copy()))
        return (grad_input[0] * 2,)

    x = torch.randn(5, 3, requires_grad=True)
    h = m[1].register_full_backward_hook(hook)
    m(x).sum().backward()
    doubled = x.grad.numpy().copy()
    gin, gout = seen[0]
    assert gin.shape == (5, 4) and gout.shape == (5, 4)
    h.remove()
    x.grad = None
    m(x).sum().backward()
    np.testing.assert_allclose(doubled, 2 * x.grad.numpy(), rtol=1e-6)
    assert len(seen) == 1


def test_full_backward_hook_against_torch():
    rt = pytest.importorskip("torch")
    m = _lin()
    tm = rt.nn.Sequential(rt.nn.Linear(3, 4), rt.nn.ReLU(), rt.nn.Linear(4, 2))
    with rt.no_grad():
        for (_, p), (_, q) in zip(m.named_parameters(), tm.named_parameters(), strict=True):
            q.copy_(rt.from_numpy(p.detach().numpy()))
    got = {}
    m[1].register_full_backward_hook(lambda mod, gi, go: got.update(d=gi[0].numpy()))
    tm[1].register_full_backward_hook(lambda mod, gi, go: got.update(t=gi[0].numpy()))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    m(torch.from_numpy(x).requires_grad_()).sum().backward()
    tm(rt.from_numpy(x).requires_grad_()).sum().backward()
    np.testing.assert_allclose(got["d"], got["t"], rtol=1e-5, atol=1e-7)


def test_forward_hooks_replace_inputs_and_outputs():
    m = _lin()
    x = torch.randn(2, 3)
    base = m(x).detach().numpy()
    h1 = m[0].register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m[2].register_forward_hook(lambda mod, args, out: out + 1)
    out = m(x).detach().numpy()
    h1.remove()
    h2.remove()
    zero = m(torch.zeros(2, 3)).detach().numpy()
    np.testing.assert_allclose(out, zero + 1, rtol=1e-6)
    np.testing.assert_array_equal(m(x).detach().numpy(), base)
