"""The cost of one call of a tiny program: a Session.run of a tiny graph, the same computation
as eager calls, and as a compiled eager function (its per-call guards and replay)."""

from __future__ import annotations

import numpy as np

from ..programs import eager_columns, graph_columns, session
from ..workload import Case, Workload

X = np.ones((4, 4), np.float32)


def _constant(tf):
    graph, sess = session(tf)
    with graph.as_default():
        y = tf.constant(X) + tf.constant(X)
    return lambda: sess.run(y)


def _fed(tf):
    graph, sess = session(tf)
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4])
        y = x * 2.0 + 1.0
    feed = {x: X}
    return lambda: sess.run(y, feed_dict=feed)


def _constant_eager(torch):
    a, b = torch.tensor(X), torch.tensor(X)
    return lambda: a + b


def _fed_eager(torch):
    x = torch.tensor(X)
    return lambda: x * 2.0 + 1.0


def cases(quick: bool) -> list[Case]:
    """A run with no feeds, and one with a fed placeholder (a tensor the eager step reads)."""
    return [
        Case(
            "run(a+b), no feed",
            {**graph_columns(_constant), **eager_columns(_constant_eager)},
        ),
        Case("run(x*2+1), one feed", {**graph_columns(_fed), **eager_columns(_fed_eager)}),
    ]


WORKLOAD = Workload("session", "one call of a tiny program: Session.run, eager, compiled", cases)
