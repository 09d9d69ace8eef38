"""The cost of one Session.run of a tiny graph (graph style only)."""

from __future__ import annotations

import numpy as np

from ..programs import graph_columns, session
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


def cases(quick: bool) -> list[Case]:
    """A run with no feeds, and one with a fed placeholder."""
    return [
        Case("run(a+b), no feed", graph_columns(_constant)),
        Case("run(x*2+1), one feed", graph_columns(_fed)),
    ]


WORKLOAD = Workload("session", "one Session.run of a tiny graph", cases)
