"""`tf.split(x, k, axis)` with an integer k on an axis whose length is known only when run (the
`reshape(transpose(x), [-1, depth])` then `split(..., steps, 0)` idiom before `static_rnn`), and
`//` / `%` on tensors: values, gradients and the error for a length k does not divide, against
real TF1."""

import duograd.frontends.graph as dtf
import numpy as np
import pytest

X = (np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5) % 11) / 7


@pytest.fixture(scope="module")
def tf1():
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _split_program(tf, x_value, k):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 5])
        rows = tf.reshape(tf.transpose(x, [1, 0, 2]), [-1, 5])
        parts = tf.split(rows, k, 0)
        loss = tf.add_n([tf.reduce_sum(p * p) * (i + 1) for i, p in enumerate(parts)])
        grad = tf.gradients(loss, x)[0]
        n = tf.shape(x)[0]
        ints = [n // 2, n % 2, 7 // n, 7 % n]
        with tf.Session(graph=g) as sess:
            out = sess.run([*parts, loss, grad, *ints], {x: x_value})
        return out, [p.shape.as_list() for p in parts]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_run_time_split_matches_real_tf(tf1, k):
    ours, our_shapes = _split_program(dtf, X, k)
    theirs, their_shapes = _split_program(tf1, X, k)
    assert our_shapes == their_shapes
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_length_that_k_does_not_divide_raises_at_run_time(tf1):
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            part = tf.split(x, 2, 0)[0]
            with tf.Session(graph=g) as sess, pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(part, {x: np.ones((3, 3), np.float32)})


def test_gradient_flows_through_a_reshape_to_a_list_holding_tensors(tf1):
    """`tf.reshape(x, [tf.shape(x)[0], 20])` keeps its static dims and passes the gradient."""
    got = []
    for tf in (dtf, tf1):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 4, 5])
            y = tf.reshape(x, [tf.shape(x)[0], 20])
            grad = tf.gradients(tf.reduce_sum(y * y * 0.5), x)[0]
            with tf.Session(graph=g) as sess:
                got.append((y.shape.as_list(), sess.run(grad, {x: X})))
    assert got[0][0] == got[1][0] == [None, 20]
    np.testing.assert_array_equal(got[0][1], got[1][1])
