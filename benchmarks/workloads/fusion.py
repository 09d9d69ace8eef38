"""What the graph passes buy: optimised graph vs plain graph vs eager on fusable programs.

Columns: "graph" (all passes on), "graph-plain" (a session with `optimize=False`) and "eager".
Cases: the chain relu(a*b+c); a 20-op expression (a GELU then a LayerNorm over rows of 1000,
written from basic ops, times a fixed weight and summed) forward and backward, with the GELU in
its tanh form and in its sigmoid form; and the MLP 784-256-10 SGD step at batch 64.
"""

from __future__ import annotations

import math

from ..programs import Stepper, both, data, graph_module
from ..workload import Case, Workload
from . import mlp as _mlp

ROW = 1000  # LayerNorm row length of the GELU+LayerNorm case
_C = math.sqrt(2.0 / math.pi)


def _session(tf, optimize):
    graph = tf.Graph()
    if optimize is None:
        return graph, tf.Session(graph=graph)
    return graph, tf.Session(graph=graph, optimize=optimize)


# ---- relu(a*b + c) -------------------------------------------------------------------------------


def _chain_graph(n, optimize=None):
    def build(tf):
        a, b, c = data(n, (n,), (n,), (n,))
        graph, sess = _session(tf, optimize)
        with graph.as_default():
            pa, pb, pc = (tf.placeholder(tf.float32, [n]) for _ in range(3))
            y = tf.nn.relu(pa * pb + pc)
        feed = {pa: a, pb: b, pc: c}
        return lambda: sess.run(y, feed_dict=feed)

    return build


def _chain_eager(n):
    def build(torch):
        a, b, c = data(n, (n,), (n,), (n,))
        ta, tb, tc = (torch.from_numpy(x) for x in (a, b, c))
        return lambda: torch.relu(ta * tb + tc).numpy()

    return build


# ---- GELU + LayerNorm, forward and backward ------------------------------------------------------


def _gelu_ln(m, x, gamma, beta, w, form="tanh"):
    """The 20 ops, written once for either module `m` (tf or torch) via the helpers below.

    form "tanh": GELU's tanh approximation (its cost is mostly the tanh itself: libm's scalar
    tanhf, the same in every column); "sigmoid": the x * sigmoid(1.702 x) approximation.
    """
    if form == "tanh":
        g = 0.5 * x * (1.0 + m.tanh(_C * (x + 0.044715 * (x * x * x))))
    else:
        g = x * m.sigmoid(1.702 * x)
    mu = m.mean_last(g)
    d = g - mu
    var = m.mean_last(d * d)
    y = d / m.sqrt(var + 1e-5)
    return m.sum_all((y * gamma + beta) * w)


class _TF:
    def __init__(self, tf):
        self.tanh, self.sqrt, self.sigmoid = tf.tanh, tf.sqrt, tf.sigmoid
        self.mean_last = lambda t: tf.reduce_mean(t, axis=-1, keepdims=True)
        self.sum_all = tf.reduce_sum


class _Torch:
    def __init__(self, torch):
        self.tanh, self.sqrt, self.sigmoid = torch.tanh, torch.sqrt, torch.sigmoid
        self.mean_last = lambda t: t.mean(dim=-1, keepdim=True)
        self.sum_all = lambda t: t.sum()


def _gl_data(n):
    x, w = data(n, (n // ROW, ROW), (n // ROW, ROW))
    gamma, beta = data(n + 1, (ROW,), (ROW,))
    return x, gamma, beta, w


def _gl_graph(n, optimize=None, form="tanh"):
    def build(tf):
        x, gamma, beta, w = _gl_data(n)
        graph, sess = _session(tf, optimize)
        with graph.as_default():
            px = tf.placeholder(tf.float32, x.shape)
            pg, pb, pw = (tf.placeholder(tf.float32, v.shape) for v in (gamma, beta, w))
            loss = _gelu_ln(_TF(tf), px, pg, pb, pw, form)
            grads = tf.gradients(loss, [px, pg, pb])
        feed = {px: x, pg: gamma, pb: beta, pw: w}
        fetches = [loss] + grads
        return lambda: sess.run(fetches, feed_dict=feed)

    return build


def _gl_eager(n, form="tanh"):
    def build(torch):
        x, gamma, beta, w = _gl_data(n)
        tx = torch.from_numpy(x).requires_grad_()
        tg = torch.from_numpy(gamma).requires_grad_()
        tb = torch.from_numpy(beta).requires_grad_()
        tw = torch.from_numpy(w)

        def step():
            tx.grad = tg.grad = tb.grad = None
            loss = _gelu_ln(_Torch(torch), tx, tg, tb, tw, form)
            loss.backward()
            return [loss.detach().numpy(), tx.grad.numpy(), tg.grad.numpy(), tb.grad.numpy()]

        return step

    return build


# ---- MLP step ------------------------------------------------------------------------------------


def _mlp_graph(batch, optimize=None):
    def build(tf):
        params, x, y = _mlp._init(batch)
        graph, sess = _session(tf, optimize)
        with graph.as_default():
            px = tf.placeholder(tf.float32, [None, 784])
            py = tf.placeholder(tf.int64, [None])
            w1, b1, w2, b2 = (tf.Variable(p) for p in params)
            h = tf.nn.relu(tf.matmul(px, w1, transpose_b=True) + b1)
            logits = tf.matmul(h, w2, transpose_b=True) + b2
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=py, logits=logits)
            )
            train = tf.train.GradientDescentOptimizer(_mlp.LR).minimize(loss)
            sess.run(tf.global_variables_initializer())
        feed = {px: x, py: y}
        weights = [w1, b1, w2, b2]

        def step():
            sess.run(train, feed_dict=feed)
            return weights

        return Stepper(step, lambda: (step(), sess.run(weights))[1])

    return build


def _columns(graph_build, plain_build, eager_build) -> dict:
    cols = both(graph_build, eager_build)
    cols["graph-plain"] = lambda: plain_build(graph_module())
    return cols


def cases(quick: bool) -> list[Case]:
    """relu(a*b+c) and GELU+LayerNorm (fwd+bwd, GELU in its tanh and its sigmoid form) at 1e5
    and 1e6 elements; the MLP step."""
    out = []
    for n in (100_000, 1_000_000):
        out.append(
            Case(
                f"relu(a*b+c) n={n:.0e}",
                _columns(_chain_graph(n), _chain_graph(n, False), _chain_eager(n)),
            )
        )
    for form in ("tanh", "sigmoid"):
        for n in (100_000, 1_000_000):
            cols = _columns(_gl_graph(n, None, form), _gl_graph(n, False, form), _gl_eager(n, form))
            out.append(Case(f"gelu({form})+layernorm fwd+bwd n={n:.0e}", cols))
    flops = 2 * 3 * 64 * (784 * 256 + 256 * 10)
    out.append(
        Case(
            "mlp 784-256-10 SGD step b=64",
            _columns(_mlp_graph(64), _mlp_graph(64, False), _mlp._eager(64)),
            flops=flops,
        )
    )
    return out  # fmt: skip


WORKLOAD = Workload(
    "fusion",
    "graph passes on/off vs eager: relu(a*b+c), GELU+LayerNorm fwd+bwd, MLP step",
    cases,
    in_quick=False,
)
