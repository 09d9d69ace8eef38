"""Adding an operation is one declaration: a softsign declared here, in this file only, works
everywhere (eager forward and backward, tf.gradients, fusion, memory planning, verify mode,
graph-vs-eager bitwise parity, the op-table checks)."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import ops
from duograd.core.kernels.elementwise_ops import OPS, ScalarOp
from duograd.core.primitives.registry import REGISTRY, AVal, Primitive, bind, register
from duograd.core.saved import saves_of


def _rule(x) -> AVal:
    if np.dtype(x.dtype).kind != "f":
        raise TypeError(f"softsign_t: expected a float operand, got {x.dtype}")
    return AVal(tuple(x.shape), np.dtype(x.dtype))


def _vjp(g, out, x, wants):
    # d/dx x / (1 + |x|) = 1 / (1 + |x|)^2, written with core ops
    d = ops.add(ops.abs(x), np.asarray(1.0, x.dtype))
    return (ops.div(g, ops.mul(d, d)),)


def _declare() -> Primitive:
    # --- the one declaration -------------------------------------------------------------------
    return register(
        Primitive(
            "softsign_t",
            impl=None,  # made from the template
            shape_rule=_rule,
            vjp=_vjp,
            reference=lambda x: x / (1 + np.abs(x)),
            template=ScalarOp(1, {"f": "{0} / ({one} + abs({0}))"}, cost=2),
        )
    )


@pytest.fixture(scope="module")
def softsign():
    prim = _declare()
    yield prim
    del REGISTRY[prim.name]  # the table stays what the rest of the suite expects
    del OPS[prim.elementwise]


X = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)


def _graph(prim, optimize):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, 4])
        y = bind(prim, x * 2.0) + 1.0
        loss = tf.reduce_sum(y * y)
        (gx,) = tf.gradients(loss, [x])
        sess = tf.Session(optimize=optimize)
        out = sess.run([y, gx], {x: X})
        return out, sess.plan_for([y, gx], {x: X})


def _eager(prim):
    x = torch.tensor(X, requires_grad=True)
    y = bind(prim, x * 2.0) + 1.0
    (y * y).sum().backward()
    return [y.detach().numpy(), x.grad.numpy()]


def test_eager_forward_backward_and_reference(softsign):
    y, gx = _eager(softsign)
    x2 = (X * 2.0).astype(np.float32)
    np.testing.assert_allclose(y, x2 / (1 + np.abs(x2)) + 1.0, rtol=1e-6)
    expect = 2 * y * 2.0 / (1 + np.abs(x2)) ** 2
    np.testing.assert_allclose(gx, expect, rtol=1e-5)


def test_graph_gradients_fusion_memory_and_verify_match_eager_bitwise(softsign):
    (y, gx), plan = _graph(softsign, True)
    (py, pgx), _ = _graph(softsign, False)
    (vy, vgx), _ = _graph(softsign, {"verify": True})  # compares every node, raises on a diff
    ey, egx = _eager(softsign)
    for a, b in [(y, py), (y, vy), (y, ey), (gx, pgx), (gx, vgx), (gx, egx)]:
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    fused = plan.program.decisions("fuse", "fused")
    assert any("softsign_t" in str(d.get("program")) for d in fused), fused
    assert plan.static_peak_bytes is not None and plan.memory is not None


def test_op_table_style_checks(softsign):
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        x = rng.uniform(-2, 2, (3, 4)).astype(dt)
        out = bind(softsign, x)
        assert out.dtype == dt and out.shape == softsign.shape_rule(x).shape
        np.testing.assert_allclose(out, softsign.reference(x), rtol=2e-6)
    x = rng.uniform(-2, 2, (5,))
    (g,) = softsign.vjp(np.ones(5), bind(softsign, x), x, wants=(True,))
    eps = 1e-6
    fd = (softsign.reference(x + eps) - softsign.reference(x - eps)) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # what the tape saves is derived from the rule: it reads x, not the output
    assert saves_of(softsign, (x,), bind(softsign, x), {}) == ((0,), False)
