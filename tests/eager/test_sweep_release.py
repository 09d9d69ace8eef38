"""The eager backward drops each node's saved arrays as soon as its VJP has run (unless
retain_graph), so a step's peak memory does not hold every saved activation until the end."""

from __future__ import annotations

import gc
import weakref

import duograd.frontends.eager as torch
import numpy as np
import pytest


def _chain(x):
    """x -> tanh -> exp -> sum, with weak references to the two arrays only the tape holds."""
    t = x.tanh()  # tanh's VJP reads its output
    e = t.exp()  # exp's VJP reads its output
    loss = e.sum()
    refs = [weakref.ref(t._data), weakref.ref(e._data)]
    return loss, refs


@pytest.mark.parametrize("retain", [False, True])
def test_saved_arrays_go_as_the_sweep_passes(retain):
    x = torch.tensor(np.linspace(-1, 1, 4096), requires_grad=True)
    h = x * 1.5
    loss, refs = _chain(h)
    seen = []

    def check(grad):
        # h's cotangent is ready once the sweep has passed exp and tanh (and before mul)
        gc.collect()
        seen.append([r() is None for r in refs])

    h.register_hook(check)
    loss.backward(retain_graph=retain)
    assert seen == [[not retain, not retain]]
    want = (
        1.5
        * np.exp(np.tanh(1.5 * np.linspace(-1, 1, 4096)))
        / np.cosh(1.5 * np.linspace(-1, 1, 4096)) ** 2
    )
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    if retain:  # the graph is whole: a second backward gives the same gradient again
        loss.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * want, rtol=1e-12)
    else:
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            loss.backward()


def test_autograd_grad_releases_too_and_create_graph_keeps_the_graph():
    x = torch.tensor(np.linspace(-1, 1, 256), requires_grad=True)
    loss, refs = _chain(x * 2.0)
    (g,) = torch.autograd.grad(loss, x)
    gc.collect()
    assert all(r() is None for r in refs)
    loss2, refs2 = _chain(x * 2.0)
    (g2,) = torch.autograd.grad(loss2, x, create_graph=True)
    gc.collect()
    assert all(r() is not None for r in refs2)
    np.testing.assert_array_equal(g.numpy(), g2.detach().numpy())
