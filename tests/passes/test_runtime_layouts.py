"""A fused step's run-time plan cache keeps operands of one shape but different layouts apart.

A broadcast operand (zero strides) is read in its compact form; a transposed operand of the
same shape must never take the plan learnt for it (it would be read as its first row).
"""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core.passes.verify import same_bits

RNG = np.random.default_rng(7)


def _layouts() -> list:
    """Operands of shape (4, 4): broadcast row, transposed, contiguous, broadcast column."""
    row = RNG.standard_normal(4).astype(np.float32)
    col = RNG.standard_normal((4, 1)).astype(np.float32)
    full = RNG.standard_normal((4, 4)).astype(np.float32)
    return [np.broadcast_to(row, (4, 4)), full.T, full, np.broadcast_to(col, (4, 4))]


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (1, 0, 3, 2), (3, 1, 0, 2)])
def test_a_fused_group_fed_one_shape_in_several_layouts(order):
    x = tf.placeholder(tf.float32, [4, 4])
    y = tf.placeholder(tf.float32, [4, 4])
    z = tf.tanh(x * y * 0.25 + 0.5)
    sess = tf.Session()
    yv = RNG.standard_normal((4, 4)).astype(np.float32)
    layouts = _layouts()
    for i in order:
        xv = layouts[i]
        got = sess.run(z, {x: xv, y: yv})
        want = sess.run(z, {x: np.ascontiguousarray(xv), y: yv})
        assert same_bits(got, want), i


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (1, 0, 3, 2)])
def test_a_matmul_epilogue_fed_one_shape_in_several_layouts(order):
    a = tf.placeholder(tf.float32, [4, 4])
    w = tf.placeholder(tf.float32, [4, 4])
    c = tf.placeholder(tf.float32, [4, 4])
    z = tf.nn.relu(tf.matmul(a, w) * c + 1.0)
    sess = tf.Session()
    av = RNG.standard_normal((4, 4)).astype(np.float32)
    wv = RNG.standard_normal((4, 4)).astype(np.float32)
    layouts = _layouts()
    for i in order:
        cv = layouts[i]
        got = sess.run(z, {a: av, w: wv, c: cv})
        want = sess.run(z, {a: av, w: wv, c: np.ascontiguousarray(cv)})
        assert same_bits(got, want), i


def test_a_compiled_replay_fed_a_transposed_tensor_after_a_broadcast_one():
    def f(x, y):
        return torch.tanh(x * y * 0.01 + 0.5)

    compiled = torch.compile(f)
    y = torch.tensor(RNG.standard_normal((4, 4)).astype(np.float32))
    xb = torch.tensor(RNG.standard_normal(4).astype(np.float32)).expand(4, 4)
    xt = torch.tensor(RNG.standard_normal((4, 4)).astype(np.float32)).t()
    for x in (xb, xb, xt, xt, xb):  # the first call captures; the others replay one plan
        assert same_bits(compiled(x, y).numpy(), f(x, y).numpy())
