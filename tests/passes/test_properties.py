"""Random programs: optimised plans equal plain plans and the eager frontend, to the bit.

Each example builds one random program of elementwise, broadcasting, reduction, matmul and
`where` steps, fetches its last value, one earlier value and the gradients of the sum of the
last value with respect to every input, and runs it (1) with every pass on, (2) with none,
(3) in verify mode (every node compared), (4) in the eager frontend with `backward()`.
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
from duograd.core.passes.verify import same_bits
from hypothesis import HealthCheck, given, settings
from pass_programs import EagerAPI, GraphAPI, build, concrete, inputs, programs, weight

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same programs each run, so their fused kernels come from the cache
    suppress_health_check=[HealthCheck.too_slow],
)


def _same(a, b) -> bool:
    # bit for bit, except that NaNs compare equal whatever their sign and payload
    return same_bits(a, b)


def _graph(prog, arrays, optimize):
    shapes, steps, dtype, r, c, unknown, extra = prog
    g = tf.Graph()
    with g.as_default():
        phs = []
        for code, a in zip(shapes, arrays, strict=True):
            shape = list(a.shape)
            if unknown and code == "RC":
                shape[0] = None
            phs.append(tf.placeholder(tf.as_dtype(dtype), shape))
        vals = build(GraphAPI(tf, weight(dtype, c)), phs, steps)
        loss = tf.reduce_sum(vals[-1])
        grads = tf.gradients(loss, phs)
        sess = tf.Session(graph=g, optimize=optimize)
        fetches = [vals[-1], vals[extra]] + [gr for gr in grads if gr is not None]
        feed = dict(zip(phs, arrays, strict=True))
        out = sess.run(fetches, feed)
        again = sess.run(fetches, feed)  # a second run reuses the pooled buffers
        plan = sess.plan_for(fetches, feed)
    it = iter(out[2:])
    full = out[:2] + [None if gr is None else next(it) for gr in grads]
    return full, again, plan


def _eager(prog, arrays):
    shapes, steps, dtype, r, c, unknown, extra = prog
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    vals = build(EagerAPI(torch, weight(dtype, c)), leaves, steps)
    vals[-1].sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in leaves]
    return [vals[-1].detach().numpy(), vals[extra].detach().numpy()] + grads


@SETTINGS
@given(programs())
def test_optimised_plain_verify_and_eager_agree_bitwise(prog):
    shapes, steps, dtype, r, c, unknown, extra = prog
    arrays = inputs(shapes, dtype, r, c)
    opt, opt_again, plan = _graph(prog, arrays, True)
    plain, _, _ = _graph(prog, arrays, False)
    checked, _, _ = _graph(prog, arrays, {"verify": True})  # raises on any differing node
    eager = _eager(prog, arrays)
    for k, a in enumerate(opt):
        assert _same(a, plain[k]), f"result {k}: optimised != plain\n{plan.describe()}"
        assert _same(a, checked[k]), f"result {k}: optimised != verify-mode run"
        if k < len(opt_again) and k < 2:
            assert _same(a, opt_again[k]), f"result {k}: the second run differs"
        # graph and eager run the same sweep: the same inputs get (or miss) a gradient
        assert _same(a, eager[k]), f"result {k}: graph != eager\n{plan.describe()}"


@SETTINGS
@given(programs(max_steps=5))
def test_fetched_results_survive_later_runs(prog):
    # pooled buffers are reused by later runs: a result already handed out must not change
    shapes, steps, dtype, r, c, unknown, extra = prog
    arrays = inputs(shapes, dtype, r, c)
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(dtype), concrete(code, r, c)) for code in shapes]
        vals = build(GraphAPI(tf, weight(dtype, c)), phs, steps)
        sess = tf.Session(graph=g)
        first = sess.run(vals[-1], dict(zip(phs, arrays, strict=True)))
        keep = np.array(first, copy=True)
        other = inputs(shapes, dtype, r, c, seed=1)
        for _ in range(3):
            sess.run(vals[-1], dict(zip(phs, other, strict=True)))
    assert _same(first, keep)
