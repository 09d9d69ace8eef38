"""torch.linalg / inverse / logdet / det / cholesky / solve against real torch (values and
gradients), and the same bits from the core primitives on graphs."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import linalg_inv as L

rt = pytest.importorskip("torch")
R = np.random.default_rng(4)


def _spd(*batch, n=3, dt=np.float64):
    a = R.uniform(-1, 1, size=(*batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dt)


def _both(fn, arrays, diff=(0,)):
    out = []
    for lib in (torch, rt):
        ts = [lib.tensor(a.copy(), requires_grad=i in diff) for i, a in enumerate(arrays)]
        y = fn(lib, *ts)
        w = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(arrays[0].dtype)
        (y * lib.tensor(w)).sum().backward()
        out.append((y.detach().numpy(), [ts[i].grad.numpy() for i in diff]))
    return out


CASES = {
    "inverse": (lambda lib, a: lib.inverse(a), [_spd() + 0.2]),
    "linalg_inv_batched": (lambda lib, a: lib.linalg.inv(a), [_spd(2)]),
    "method_inverse": (lambda lib, a: a.inverse(), [_spd()]),
    "logdet": (lambda lib, a: lib.logdet(a), [_spd(2)]),
    "method_logdet": (lambda lib, a: a.logdet(), [_spd()]),
    "det": (lambda lib, a: lib.det(a), [_spd() - 1.5]),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a)[1], [_spd() - 1.5]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(a), [_spd()]),
    "cholesky_batched": (lambda lib, a: a.cholesky(), [_spd(2, n=4)]),
    "cholesky_upper": (lambda lib, a: lib.cholesky(a, upper=True), [_spd()]),
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), [_spd(), R.standard_normal((3, 2))]),
    "solve_vec": (lambda lib, a, b: lib.linalg.solve(a, b), [_spd(), R.standard_normal(3)]),
    "norm": (lambda lib, a: lib.linalg.norm(a), [R.standard_normal((3, 4))]),
    "vector_norm": (lambda lib, a: lib.linalg.vector_norm(a, 2, dim=1), [R.normal(size=(3, 4))]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_against_torch(name, dt):
    fn, arrays = CASES[name]
    arrays = [a.astype(dt) for a in arrays]
    diff = tuple(range(len(arrays)))
    (ya, ga), (yb, gb) = _both(fn, arrays, diff)
    tol = dict(rtol=2e-4, atol=2e-4) if dt == np.float32 else dict(rtol=1e-9, atol=1e-10)
    assert ya.dtype == yb.dtype
    np.testing.assert_allclose(ya, yb, **tol)
    for a, b in zip(ga, gb, strict=True):
        np.testing.assert_allclose(a, b, **tol)


def test_singular_and_non_square_errors():
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        torch.inverse(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="square"):
        torch.inverse(torch.ones(2, 3))
    with pytest.raises(np.linalg.LinAlgError, match="positive-definite"):
        torch.linalg.cholesky(-torch.eye(2))


@pytest.mark.parametrize("prim", ["matrix_inverse", "logabsdet", "cholesky"])
def test_same_bits_in_both_styles(prim):
    a = _spd(2, dt=np.float32)
    fn = getattr(L, prim)
    t = torch.tensor(a, requires_grad=True)
    y = fn(t)
    g = R.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.tensor(g))
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, a.shape)
        gp = tf.placeholder(tf.float32, g.shape)
        out = fn(x)
        (gx,) = tf.gradients(out, [x], grad_ys=gp)
        with tf.Session() as sess:
            vy, vg = sess.run([out, gx], {x: a, gp: g})
    assert vy.tobytes() == y.detach().numpy().tobytes()
    assert vg.tobytes() == t.grad.numpy().tobytes()
