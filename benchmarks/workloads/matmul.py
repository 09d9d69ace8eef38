"""matmul GFLOP/s at n = 256, 512, 1024, 2048 against numpy's BLAS, in both styles and the peers."""

from __future__ import annotations

import numpy as np

from ..programs import both, data, session
from ..workload import Case, Workload
from .kernels import SETTLE_S


def _graph(n):
    a, b = data(n, (n, n), (n, n))

    def build(tf):
        graph, sess = session(tf)
        with graph.as_default():
            # variables, not constants: a constant product would be folded once by TF's optimiser
            va, vb = tf.Variable(a), tf.Variable(b)
            c = tf.matmul(va, vb)
            sess.run(tf.global_variables_initializer())
        return lambda: sess.run(c)

    return build


def _eager(n):
    a, b = data(n, (n, n), (n, n))

    def build(torch):
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda: torch.matmul(ta, tb).numpy()

    return build


def _numpy(n):
    a, b = data(n, (n, n), (n, n))

    def build():
        return lambda: np.matmul(a, b)

    return build


def cases(quick: bool) -> list[Case]:
    """Square float32 products; 2048 only in the full run."""
    sizes = (256, 512, 1024) if quick else (256, 512, 1024, 2048)
    return [
        Case(
            f"fp32 n={n}",
            {**both(_graph(n), _eager(n)), "numpy": _numpy(n)},
            flops=2.0 * n**3,
            parity_steps=1,
            settle_s=SETTLE_S,
        )
        for n in sizes
    ]


WORKLOAD = Workload("matmul", "matmul GFLOP/s at n=256..2048 against numpy", cases)
