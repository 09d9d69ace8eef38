"""The gradient through a tf.while_loop whose loop variable grows each iteration (concat with
shape_invariants of unknown length), against real TensorFlow (compat.v1 graph mode)."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

X = np.array([[1.0, 2.0]], np.float32)
W = np.array([[0.5, -1.0], [1.5, 0.25]], np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _program(tf, append, steps):
    x = tf.constant(X)
    w = tf.constant(W)
    i0 = tf.constant(0)

    def body(i, acc):
        last = acc[-1:] if append else acc[:1]
        nxt = tf.tanh(tf.matmul(last, w))
        return i + 1, tf.concat([acc, nxt] if append else [nxt, acc], 0)

    _, out = tf.while_loop(
        lambda i, a: i < steps, body, [i0, x],
        shape_invariants=[i0.get_shape(), tf.TensorShape([None, 2])],
    )  # fmt: skip
    weights = tf.range(1.0, 1.0 + tf.cast(tf.shape(out)[0], tf.float32))
    loss = tf.reduce_sum(tf.reduce_sum(out * out, 1) * weights)
    grads = tf.gradients(loss, [x, w])
    with tf.Session() as s:
        return s.run([out, loss, *grads])


@pytest.mark.parametrize("append", [True, False], ids=["append", "prepend"])
@pytest.mark.parametrize("steps", [0, 1, 4])
def test_gradient_through_a_growing_loop_variable(ref, append, steps):
    with ref.Graph().as_default():
        theirs = _program(ref, append, steps)
    with dg.Graph().as_default():
        ours = _program(dg, append, steps)
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)


def test_concat_gradient_with_two_unknown_lengths():
    # two pieces of run-time length (a GAN's real and fake rows): gathered at run-time positions
    a = dg.placeholder(dg.float32, [None, 2])
    b = dg.placeholder(dg.float32, [None, 2])
    y = dg.concat([a, b, dg.ones([1, 2])], 0)
    scale = dg.reshape(dg.range(1.0, 1.0 + dg.cast(dg.shape(y)[0], dg.float32)), [-1, 1])
    ga, gb = dg.gradients(dg.reduce_sum(y * scale), [a, b])
    with dg.Session() as s:
        va, vb = s.run([ga, gb], {a: np.zeros((2, 2), np.float32), b: np.zeros((3, 2), np.float32)})
    np.testing.assert_array_equal(va, [[1, 1], [2, 2]])
    np.testing.assert_array_equal(vb, [[3, 3], [4, 4], [5, 5]])


def test_concat_gradient_with_one_unknown_length_in_the_middle():
    a = dg.placeholder(dg.float32, [None, 2])
    head, tail = dg.constant([[1.0, 2.0]]), dg.constant([[3.0, 4.0], [5.0, 6.0]])
    y = dg.concat([head, a, tail], 0)
    scale = dg.reshape(dg.range(1.0, 1.0 + dg.cast(dg.shape(y)[0], dg.float32)), [-1, 1])
    gs = dg.gradients(dg.reduce_sum(y * scale), [head, a, tail])
    with dg.Session() as s:
        gh, ga, gt = s.run(gs, {a: np.zeros((3, 2), np.float32)})
    np.testing.assert_array_equal(gh, [[1, 1]])
    np.testing.assert_array_equal(ga, [[2, 2], [3, 3], [4, 4]])
    np.testing.assert_array_equal(gt, [[5, 5], [6, 6]])
