"""torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp) and nn.init.orthogonal_ vs torch."""

from __future__ import annotations

import duograd.frontends.eager as torch
import numpy as np
import pytest

rt = pytest.importorskip("torch")

A = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
V = np.cos(np.arange(6.0)).reshape(2, 3)


def _f(lib):
    return lambda x: (lib.tanh(x) * x.pow(2)).sum(dim=1) + lib.log_softmax(x, dim=1)[:, 0]


def _scalar(lib):
    return lambda x: (lib.sigmoid(x) * x.pow(3)).sum() + lib.softmax(x, dim=1).pow(2).sum()


def _both(make):
    ours = make(torch)
    theirs = make(rt)
    flat_o = ours if isinstance(ours, tuple) else (ours,)
    flat_t = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(flat_o, flat_t, strict=True):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_jacobian():
    _both(lambda L: L.autograd.functional.jacobian(_f(L), L.tensor(A)))


def test_hessian():
    _both(lambda L: L.autograd.functional.hessian(_scalar(L), L.tensor(A)))


def test_vjp_jvp_hvp():
    w = np.array([0.5, -2.0])
    _both(lambda L: L.autograd.functional.vjp(_f(L), L.tensor(A), L.tensor(w)))
    _both(lambda L: L.autograd.functional.jvp(_f(L), L.tensor(A), L.tensor(V)))
    _both(lambda L: L.autograd.functional.hvp(_scalar(L), L.tensor(A), L.tensor(V)))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal_init_is_orthogonal_like_torch(shape):
    torch.manual_seed(0)
    w = torch.nn.init.orthogonal_(torch.empty(*shape), gain=2.0)
    theirs = rt.nn.init.orthogonal_(rt.empty(*shape), gain=2.0)
    assert w.shape == tuple(theirs.shape) and w.dtype == torch.float32
    m = w.numpy().reshape(shape[0], -1).astype(np.float64)
    small = m @ m.T if shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more"):
        torch.nn.init.orthogonal_(torch.empty(3))
