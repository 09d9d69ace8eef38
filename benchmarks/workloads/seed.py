"""The seed's programs: TF's constant multiply in a graph, and a small matmul, in both styles."""

from __future__ import annotations

import numpy as np

from ..programs import both, session
from ..workload import Case, Workload

A = np.array([1, 2, 3], dtype=np.int32)
B = np.array([4, 5, 6], dtype=np.int32)
M = np.arange(6, dtype=np.float32).reshape(2, 3)
N = np.arange(6, dtype=np.float32).reshape(3, 2) / 2


def _graph_multiply(tf):
    graph, sess = session(tf)
    with graph.as_default():
        a = tf.constant(A)
        b = tf.constant(B)
        c = tf.multiply(a, b)
    return lambda: sess.run(c)


def _eager_multiply(torch):
    a = torch.tensor(A)
    b = torch.tensor(B)
    return lambda: torch.mul(a, b).numpy()


def _graph_matmul(tf):
    graph, sess = session(tf)
    with graph.as_default():
        c = tf.matmul(tf.constant(M), tf.constant(N))
    return lambda: sess.run(c)


def _eager_matmul(torch):
    m, n = torch.tensor(M), torch.tensor(N)
    return lambda: torch.matmul(m, n).numpy()


def cases(quick: bool) -> list[Case]:
    """The two seed programs."""
    return [
        Case("multiply [1,2,3]*[4,5,6]", both(_graph_multiply, _eager_multiply)),
        Case("matmul (2,3)@(3,2)", both(_graph_matmul, _eager_matmul)),
    ]


WORKLOAD = Workload("seed", "the seed's programs (constant multiply, small matmul)", cases)
