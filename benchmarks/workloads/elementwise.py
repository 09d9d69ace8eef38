"""The elementwise chain relu(a * b + c) at 1e3, 1e5 and 1e6 elements."""

from __future__ import annotations

from ..programs import both, data, session
from ..workload import Case, Workload


def _graph(n):
    a, b, c = data(n, (n,), (n,), (n,))

    def build(tf):
        graph, sess = session(tf)
        with graph.as_default():
            pa, pb, pc = (tf.placeholder(tf.float32, [n]) for _ in range(3))
            y = tf.nn.relu(pa * pb + pc)
        feed = {pa: a, pb: b, pc: c}
        return lambda: sess.run(y, feed_dict=feed)

    return build


def _eager(n):
    a, b, c = data(n, (n,), (n,), (n,))

    def build(torch):
        ta, tb, tc = (torch.from_numpy(x) for x in (a, b, c))
        return lambda: torch.relu(ta * tb + tc).numpy()

    return build


def cases(quick: bool) -> list[Case]:
    """One case per size."""
    return [
        Case(f"relu(a*b+c) n={n:.0e}", both(_graph(n), _eager(n)))
        for n in (1_000, 100_000, 1_000_000)
    ]


WORKLOAD = Workload("elementwise", "the chain relu(a*b + c) at 1e3, 1e5, 1e6 elements", cases)
