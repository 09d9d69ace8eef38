"""einsum and the log1p / expm1 / inverse trigonometric / hyperbolic primitives give the same bits
in both styles: the eager names against the same core functions called on graph tensors (the
TF-named wrappers, `tf.einsum` / `tf.math.atan`, live in the graph frontend), forward and every
input gradient."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.einsum import einsum as core_einsum
from duograd.core.primitives import trig

R = np.random.default_rng(5)


def _u(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


def _eager(fn, inputs, g):
    ts = [torch.tensor(x.copy(), requires_grad=True) for x in inputs]
    out = fn(*ts)
    out.backward(torch.tensor(g))
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


def _graph(fn, inputs, g):
    graph = tf.Graph()
    with graph.as_default():
        phs = [tf.placeholder(tf.float32, x.shape) for x in inputs]
        out = fn(*phs)
        gp = tf.placeholder(tf.float32, g.shape)
        fetches = [out, *tf.gradients(out, phs, grad_ys=gp)]
        feed = dict(zip(phs, inputs, strict=True))
        feed[gp] = g
        with tf.Session() as sess:
            return sess.run(fetches, feed_dict=feed)


CASES = {
    "einsum_matmul": (lambda *x: torch.einsum("ij,jk->ik", *x),
                      lambda *x: core_einsum("ij,jk->ik", *x), [(3, 4), (4, 5)]),
    "einsum_attention": (lambda *x: torch.einsum("bhqd,bhkd->bhqk", *x),
                         lambda *x: core_einsum("bhqd,bhkd->bhqk", *x),
                         [(2, 2, 3, 4), (2, 2, 5, 4)]),
    "einsum_three": (lambda *x: torch.einsum("bn,anm,bm->ba", *x),
                     lambda *x: core_einsum("bn,anm,bm->ba", *x), [(2, 3), (4, 3, 5), (2, 5)]),
    "einsum_diag_ellipsis": (lambda x: torch.einsum("...ii->...i", x),
                             lambda x: core_einsum("...ii->...i", x), [(2, 3, 3)]),
}  # fmt: skip
for _name, _lo, _hi in [
    ("log1p", -0.5, 2),
    ("expm1", -2, 2),
    ("atan", -2, 2),
    ("asin", -0.9, 0.9),
    ("acos", -0.9, 0.9),
    ("sinh", -2, 2),
    ("cosh", -2, 2),
    ("tan", -1.2, 1.2),
]:
    CASES[_name] = (getattr(torch, _name), getattr(trig, _name), [(3, 4)], _lo, _hi)  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bits_in_both_styles(name):
    eager_fn, graph_fn, shapes, *bounds = CASES[name]
    lo, hi = bounds if bounds else (-2.0, 2.0)
    inputs = [_u(*s, lo=lo, hi=hi) for s in shapes]
    probe = eager_fn(*[torch.tensor(x) for x in inputs]).numpy()
    g = R.standard_normal(probe.shape).astype(np.float32)
    eager = _eager(eager_fn, inputs, g)
    graph = _graph(graph_fn, inputs, g)
    assert len(eager) == len(graph)
    for e, t in zip(eager, graph, strict=True):
        assert e.dtype == t.dtype and e.shape == t.shape
        assert e.tobytes() == t.tobytes()
