"""Gradients of unstack / split / unbind / per-step getitem: one scatter, linear in T, exact."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives.scatter import SCATTER_SUM, scatter_sum
from duograd.core.primitives.shaping import GETITEM_GRAD

T, B, E = 24, 3, 5


def _x(dt=np.float32):
    return np.random.default_rng(0).standard_normal((B, T, E)).astype(dt)


def _eager_grad(x, cut):
    xt = torch.tensor(x, requires_grad=True)
    pieces = cut(xt)
    loss = None
    for i, p in enumerate(pieces):
        term = (p * (i + 1.0) * p).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return xt.grad.numpy()


def _graph_grad(x, cut):
    g = tf.Graph()
    with g.as_default():
        xp = tf.placeholder(tf.float32, x.shape)
        pieces = cut(xp)
        loss = tf.add_n([tf.reduce_sum(p * (i + 1.0) * p) for i, p in enumerate(pieces)])
        (gx,) = tf.gradients(loss, [xp])
        with tf.Session() as s:
            out = s.run(gx, {xp: x})
    return out, g


def _expected(x, index_list):
    want = np.zeros_like(x)
    for i, idx in enumerate(index_list):
        want[idx] += 2.0 * (i + 1.0) * x[idx]
    return want


CUTS = {
    "unbind": (
        lambda t: t.unbind(1),
        lambda t: tf.unstack(t, axis=1),
        [(slice(None), i) for i in range(T)],
    ),
    "split": (
        lambda t: torch.split(t, [5, 7, 12], dim=1),
        lambda t: tf.split(t, [5, 7, 12], axis=1),
        [(slice(None), slice(0, 5)), (slice(None), slice(5, 12)), (slice(None), slice(12, 24))],
    ),
    "getitem_loop": (
        lambda t: [t[:, i] for i in range(T)],
        lambda t: [t[:, i] for i in range(T)],
        [(slice(None), i) for i in range(T)],
    ),
    "overlapping": (
        lambda t: [t[:, 0:10], t[:, 5:20], t[:, 3]],
        lambda t: [t[:, 0:10], t[:, 5:20], t[:, 3]],
        [(slice(None), slice(0, 10)), (slice(None), slice(5, 20)), (slice(None), 3)],
    ),
}


@pytest.mark.parametrize("name", sorted(CUTS))
def test_values_and_parity(name):
    eager_cut, graph_cut, idx = CUTS[name]
    x = _x()
    ge = _eager_grad(x, eager_cut)
    gg, _ = _graph_grad(x, graph_cut)
    np.testing.assert_allclose(ge, _expected(x.astype(np.float64), idx), rtol=1e-6, atol=1e-6)
    assert ge.dtype == np.float32 and gg.dtype == np.float32
    assert np.array_equal(ge, gg), "eager and graph gradients differ"


@pytest.mark.parametrize("name", ["unbind", "getitem_loop"])
def test_gradient_is_one_scatter(name):
    """T slices give one whole-sequence array in the gradient, not T zero-filled ones."""
    _, graph_cut, _ = CUTS[name]
    x = _x()
    _, g = _graph_grad(x, graph_cut)
    scatters = [n for n in g.nodes if n.kind == "op" and n.prim is SCATTER_SUM]
    slices_back = [n for n in g.nodes if n.kind == "op" and n.prim is GETITEM_GRAD]
    assert len(scatters) == 1 and len(scatters[0].inputs) == T + 1
    assert slices_back == []


def test_eager_backward_is_linear_in_t():
    """The bytes the backward of T per-step slices allocates grow linearly in T."""
    tracemalloc = pytest.importorskip("tracemalloc")

    def traced_bytes(t_len):
        x = torch.tensor(np.ones((8, t_len, 64), np.float32), requires_grad=True)
        loss = None
        for p in x.unbind(1):
            term = p.sum()
            loss = term if loss is None else loss + term
        tracemalloc.start()
        loss.backward()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak, x

    traced_bytes(64), traced_bytes(256)  # once each first: kernels compile outside the count
    b1, _ = traced_bytes(64)
    b2, x = traced_bytes(256)
    assert np.array_equal(x.grad.numpy(), np.ones((8, 256, 64), np.float32))
    # a whole-sequence array is 8*256*64*4 = 512 KiB; quadratic accumulation would need T of them
    assert b2 < 4 * 8 * 256 * 64 * 4
    # 4x the steps: linear growth is about 4x (6.2x measured, with the sweep's fixed buffers),
    # quadratic 16x; the bound sits between them
    assert b2 < 8 * b1


def test_single_slice_keeps_getitem_grad():
    """One slice still differentiates to the plain getitem_grad (no scatter for one piece)."""
    x = _x()
    xt = torch.tensor(x, requires_grad=True)
    (xt[:, 2] * 3.0).sum().backward()
    want = np.zeros_like(x)
    want[:, 2] = 3.0
    assert np.array_equal(xt.grad.numpy(), want)


def test_slice_then_dense_use_adds_up():
    """A value used both whole and in slices gets the sum of both cotangents."""
    x = _x(np.float64)
    xt = torch.tensor(x, requires_grad=True)
    loss = (xt * 2.0).sum() + sum(p.sum() for p in xt.unbind(1)) + (xt[:, 0] * xt[:, 0]).sum()
    loss.backward()
    want = np.full_like(x, 3.0)
    want[:, 0] += 2.0 * x[:, 0]
    np.testing.assert_allclose(xt.grad.numpy(), want, rtol=1e-12)


def test_scatter_sum_errors_name_the_op():
    like = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="scatter_sum"):
        scatter_sum(like, [np.ones(4, np.float32)], [])
    with pytest.raises(TypeError, match="scatter_sum: piece 1"):
        scatter_sum(like, [np.ones(4, np.float32), np.ones(4)], [(0,), (1,)])
