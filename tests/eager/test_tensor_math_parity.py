"""The elementwise and along-an-axis math added for the torch surface gives the same bits in both
styles: the eager torch names against the same core functions (`core.tensor_math`,
`core.primitives.elementwise_more`) called on graph tensors, forward and every input gradient."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import tensor_math as TM
from duograd.core.primitives import elementwise_more as EM

R = np.random.default_rng(11)


def _u(shape, lo, hi, dt):
    return R.uniform(lo, hi, shape).astype(dt)


def _eager(fn, inputs, g):
    ts = [torch.tensor(x.copy(), requires_grad=True) for x in inputs]
    out = fn(*ts)
    out.backward(torch.tensor(g))
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


def _graph(fn, inputs, g):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(x.dtype), x.shape) for x in inputs]
        out = fn(*phs)
        gp = tf.placeholder(tf.as_dtype(g.dtype), g.shape)
        fetches = [out, *tf.gradients(out, phs, grad_ys=gp)]
        feed = dict(zip(phs, inputs, strict=True))
        feed[gp] = g
        with tf.Session() as sess:
            return sess.run(fetches, feed_dict=feed)


P2 = [(3, 4), (3, 4)]
B2 = [(3, 4), (4,)]
# name: (eager fn, core fn on graph tensors, shapes, (lo, hi) of the inputs)
CASES = {
    "atan2": (torch.atan2, EM.atan2, B2, (-2, 2)),
    "hypot": (torch.hypot, EM.hypot, P2, (0.3, 2)),
    "copysign": (torch.copysign, EM.copysign, P2, (0.3, 2)),
    "fmod": (torch.fmod, EM.fmod, P2, (0.3, 2)),
    "asinh": (torch.asinh, EM.asinh, [(3, 4)], (-2, 2)),
    "acosh": (torch.acosh, EM.acosh, [(3, 4)], (1.2, 3)),
    "atanh": (torch.atanh, EM.atanh, [(3, 4)], (-0.9, 0.9)),
    "erfc": (torch.erfc, EM.erfc, [(3, 4)], (-2, 2)),
    "remainder": (torch.remainder, TM.remainder, B2, (-3, 3)),
    "logaddexp": (torch.logaddexp, TM.logaddexp, B2, (-3, 3)),
    "logaddexp2": (torch.logaddexp2, TM.logaddexp2, P2, (-3, 3)),
    "xlogy": (torch.xlogy, TM.xlogy, P2, (0.2, 2)),
    "lerp": (torch.lerp, TM.lerp, [(3, 4), (3, 4), (3, 4)], (-1, 1.5)),
    "sinc": (torch.sinc, TM.sinc, [(3, 4)], (-2, 2)),
    "fmax": (torch.fmax, TM.fmax, P2, (-2, 2)),
    "fmin": (torch.fmin, TM.fmin, P2, (-2, 2)),
    "exp2": (torch.exp2, TM.exp2, [(3, 4)], (-2, 2)),
    "roll": (lambda x: torch.roll(x, (1, -2), (0, 1)),
             lambda x: TM.roll(x, (1, -2), (0, 1)), [(3, 4)], (-2, 2)),
    "diff": (lambda x: torch.diff(x, 2, 1), lambda x: TM.diff(x, 2, 1), [(3, 5)], (-2, 2)),
    "kron": (torch.kron, TM.kron, [(2, 3), (3, 2)], (-2, 2)),
    "cross": (lambda a, b: torch.cross(a, b, dim=1),
              lambda a, b: TM.cross(a, b, 1), [(4, 3), (4, 3)], (-2, 2)),
    "logcumsumexp": (lambda x: torch.logcumsumexp(x, 1),
                     lambda x: TM.logcumsumexp(x, 1), [(3, 5)], (-3, 3)),
    "nan_to_num": (torch.nan_to_num, TM.nan_to_num, [(3, 4)], (-2, 2)),
}  # fmt: skip


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bits_in_both_styles(name, dt):
    eager_fn, graph_fn, shapes, (lo, hi) = CASES[name]
    inputs = [_u(s, lo, hi, dt) for s in shapes]
    probe = eager_fn(*[torch.tensor(x) for x in inputs]).numpy()
    g = R.standard_normal(probe.shape).astype(dt)
    eager = _eager(eager_fn, inputs, g)
    graph = _graph(graph_fn, inputs, g)
    assert len(eager) == len(graph)
    for e, t in zip(eager, graph, strict=True):
        assert e.dtype == t.dtype and e.shape == t.shape
        assert e.tobytes() == t.tobytes()


@pytest.mark.parametrize("name", ["remainder", "floor_divide"])
def test_integer_division_same_in_both_styles(name):
    a = np.array([[7, -7, 5, -5], [0, 3, -9, 9]], np.int64)
    b = np.array([3, 3, -2, -4], np.int64)
    eager = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    with tf.Graph().as_default():
        pa, pb = tf.placeholder(tf.int64, a.shape), tf.placeholder(tf.int64, b.shape)
        out = getattr(TM, name)(pa, pb)
        with tf.Session() as sess:
            graph = sess.run(out, {pa: a, pb: b})
    assert eager.dtype == graph.dtype == np.int64
    assert eager.tobytes() == graph.tobytes()
    expected = np.remainder(a, b) if name == "remainder" else np.floor_divide(a, b)
    np.testing.assert_array_equal(eager, expected)
