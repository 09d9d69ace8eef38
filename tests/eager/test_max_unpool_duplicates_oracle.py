"""max_unpool1d/2d/3d where several inputs point at one slot, against real torch: the slot keeps
the last writer's value (memory order, per plane) and every writer's gradient is its slot's. The
overwriting scatter behind them (`scatter_last`) gives the same bits on a graph."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.primitives import REGISTRY
from duograd.core.primitives.scatter_last import scatter_last

rt = pytest.importorskip("torch")
R = np.random.default_rng(31)


def _draw(n: int, dt, planes=(2, 3)):
    """An input of shape (*planes, 3, ...) and indices drawn from few slots (many repeats)."""
    shape = planes + (3,) * n
    x = R.normal(size=shape).astype(dt)
    out = 6**n  # kernel 2, stride 2 over 3 -> output size 6 per spatial dim
    idx = R.integers(0, min(out, 5), size=shape)
    idx[..., -1] = R.integers(0, out, size=shape[:-1])  # and a few anywhere
    return x, idx


def _run(lib, n, x, idx, w):
    fn = getattr(lib.nn.functional, f"max_unpool{n}d")
    xt = lib.tensor(x.copy(), requires_grad=True)
    y = fn(xt, lib.tensor(idx), 2)
    (y * lib.tensor(w)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("planes", [(2, 3), (1, 1)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_repeated_slots_keep_the_last_value_and_gather_every_gradient(n, dt, planes):
    x, idx = _draw(n, dt, planes)
    w = R.normal(size=planes + (6,) * n).astype(dt)
    # PyTorch's CPU kernel may split a plane among its threads, and a repeated slot then keeps
    # whichever thread wrote last; on one thread it keeps the last writer in memory order
    threads = rt.get_num_threads()
    rt.set_num_threads(1)
    try:
        yb, gb = _run(rt, n, x, idx, w)
    finally:
        rt.set_num_threads(threads)
    ya, ga = _run(torch, n, x, idx, w)
    assert ya.dtype == yb.dtype and ya.shape == yb.shape
    # a slot holds one input's value: no arithmetic, so the bits are torch's
    assert ya.tobytes() == yb.tobytes()
    assert ga.tobytes() == gb.tobytes()


def test_a_repeated_slot_is_not_the_sum_of_its_writers():
    y = torch.nn.functional.max_unpool1d(
        torch.tensor([[[1.0, 2.0, 3.0, 4.0]]]), torch.tensor([[[1, 1, 0, 1]]]), 2
    )
    assert y.numpy().tolist() == [[[3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_kernel_matches_the_reference_with_repeated_slots(dt):
    prim = REGISTRY["scatter_last"]
    like = np.zeros((3, 7), dt)
    rows = np.repeat(np.arange(3)[:, None], 9, axis=1)
    cols = R.integers(0, 4, size=(3, 9))
    g = R.normal(size=(3, 9)).astype(dt)
    index = (rows, cols)
    got = prim.impl(g, like, index)
    assert got.tobytes() == prim.reference(g, like, index).tobytes()
    # the last writer of (1, c) in row-major order
    for c in range(4):
        hits = np.nonzero(cols[1] == c)[0]
        assert got[1, c] == (g[1, hits[-1]] if hits.size else 0)


def test_same_bits_in_both_styles():
    g = R.normal(size=(4, 6)).astype(np.float32)
    cot = R.normal(size=(3, 8)).astype(np.float32)
    rows = np.repeat(np.arange(3)[:, None], 8, axis=0)[:4, :6] % 3
    cols = R.integers(0, 3, size=(4, 6))
    index = (rows, cols)
    like = np.zeros((3, 8), np.float32)
    gt = torch.tensor(g, requires_grad=True)
    y = scatter_last(gt, torch.tensor(like), index)
    y.backward(torch.tensor(cot))
    graph = tf.Graph()
    with graph.as_default():
        gp = tf.placeholder(tf.float32, g.shape)
        cp = tf.placeholder(tf.float32, cot.shape)
        out = scatter_last(gp, tf.constant(like), index)
        (dg,) = tf.gradients(out, [gp], grad_ys=cp)
        with tf.Session() as sess:
            vy, vg = sess.run([out, dg], {gp: g, cp: cot})
    assert vy.tobytes() == y.detach().numpy().tobytes()
    assert vg.tobytes() == gt.grad.numpy().tobytes()
    # the gradient is the gather of the cotangent for every writer, kept or not
    assert vg.tobytes() == cot[index].tobytes()


def test_an_index_that_does_not_fit_is_named():
    with pytest.raises(Exception, match="getitem|scatter_last") as e:
        scatter_last(torch.ones(2), torch.zeros(3), (np.array([0, 5]),))
    assert "out of range" in str(e.value) or "does not fit" in str(e.value)
