"""tf.gradients: the core sweep over the graph, checked against numpy and finite differences."""

import duograd.frontends.graph as tf
import numpy as np
import pytest

R = np.random.RandomState(3)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of a scalar numpy function."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_matmul_bias_gradients_match_numpy():
    xv = R.randn(5, 3)
    wv = R.randn(3, 2)
    bv = R.randn(2)
    x = tf.constant(xv)
    w = tf.constant(wv)
    b = tf.constant(bv)
    y = tf.matmul(x, w) + b
    loss = tf.reduce_sum(y * y)
    gw, gb, gx = tf.gradients(loss, [w, b, x])
    with tf.Session() as sess:
        gw_, gb_, gx_ = sess.run([gw, gb, gx])
    yv = xv @ wv + bv
    np.testing.assert_allclose(gw_, xv.T @ (2 * yv), rtol=1e-12)
    np.testing.assert_allclose(gb_, (2 * yv).sum(0), rtol=1e-12)
    np.testing.assert_allclose(gx_, (2 * yv) @ wv.T, rtol=1e-12)


def _softmax_ce(a):
    lse = np.log(np.exp(a).sum(1))
    return np.mean([lse[i] - a[i, k] for i, k in enumerate([0, 2, 1, 1])])


CASES = {
    "tanh_mean": (lambda t: tf.reduce_mean(tf.tanh(t) * 3.0), lambda a: np.mean(np.tanh(a) * 3)),
    "sigmoid_max": (
        lambda t: tf.reduce_max(tf.sigmoid(t), 1),
        lambda a: (1 / (1 + np.exp(-a))).max(1),
    ),
    "softmax_ce": (
        lambda t: tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 2, 1, 1], logits=t)
        ),
        _softmax_ce,
    ),
    "div_pow_sqrt": (
        lambda t: tf.reduce_sum(tf.sqrt(t * t + 1.0) / (t + 5.0) ** 2),
        lambda a: np.sum(np.sqrt(a * a + 1) / (a + 5) ** 2),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_match_finite_differences(name):
    build, ref = CASES[name]
    av = R.uniform(-1, 1, (4, 3))
    a = tf.placeholder(tf.float64, [4, 3])
    out = build(a)
    (g,) = tf.gradients(tf.reduce_sum(out), [a])
    with tf.Session() as sess:
        got = sess.run(g, {a: av})
    want = numeric_grad(lambda z: np.sum(ref(z)), av)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_gradient_through_slicing():
    av = R.uniform(-1, 1, (4, 3))
    a = tf.placeholder(tf.float64, [4, 3])
    out = tf.reduce_sum(tf.concat([a[:, :2], a[1:, :2] * 2.0], 0) ** 2)
    (g,) = tf.gradients(out, a)
    with tf.Session() as sess:
        got = sess.run(g, {a: av})
    want = numeric_grad(lambda z: np.sum(z[:, :2] ** 2) + np.sum((z[1:, :2] * 2) ** 2), av)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_unconnected_gives_none_or_zeros():
    a = tf.constant([1.0, 2.0])
    b = tf.constant([3.0, 4.0])
    y = tf.reduce_sum(a * 2.0)
    assert tf.gradients(y, [a, b])[1] is None
    z = tf.gradients(y, b, unconnected_gradients="zero")[0]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(z), [0.0, 0.0])


def test_integer_inputs_get_no_gradient():
    i = tf.constant([1, 2])
    y = tf.reduce_sum(tf.cast(i, tf.float32) * 2.0)
    assert tf.gradients(y, i) == [None]


def test_multiple_ys_are_summed_and_grad_ys_scale():
    a = tf.constant([1.0, 2.0])
    y1 = a * 3.0
    y2 = tf.reduce_sum(a * a)
    (g,) = tf.gradients([tf.reduce_sum(y1), y2], [a])
    (gs,) = tf.gradients(y1, a, grad_ys=[tf.constant([10.0, 100.0])])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [3 + 2, 3 + 4])
        np.testing.assert_array_equal(sess.run(gs), [30.0, 300.0])


def test_stop_gradient_and_stop_gradients():
    a = tf.constant(2.0)
    b = a * a
    y = b * a
    (g,) = tf.gradients(y, a, stop_gradients=[b])
    (h,) = tf.gradients(tf.stop_gradient(b) * a, a)
    with tf.Session() as sess:
        assert sess.run(g) == 4.0
        assert sess.run(h) == 4.0


def test_gradient_of_variables_and_names():
    w = tf.Variable([[1.0, 2.0]], name="w")
    x = tf.placeholder(tf.float32, [None, 1])
    loss = tf.reduce_mean(tf.matmul(x, w))
    (g,) = tf.gradients(loss, w)
    assert g.name.startswith("gradients/") and g.shape.as_list() == [1, 2]
    (g2,) = tf.gradients(loss, w)
    assert g2.name.startswith("gradients_1/")
    with tf.Session() as sess:
        sess.run(w.initializer)
        # loss = mean over the (2, 2) products: d/dw_j = (1 + 3) / 4
        np.testing.assert_allclose(sess.run(g, {x: [[1.0], [3.0]]}), [[1.0, 1.0]])


def test_gradients_with_unknown_batch_dim_and_broadcast():
    x = tf.placeholder(tf.float32, [None, 3])
    b = tf.constant([1.0, 2.0, 3.0])
    y = tf.reduce_sum((x + b) * 2.0)
    gb, gx = tf.gradients(y, [b, x])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(gb, {x: np.zeros((4, 3))}), [8.0, 8.0, 8.0])
        assert sess.run(gx, {x: np.zeros((2, 3))}).shape == (2, 3)


def test_gradients_with_unknown_rank():
    x = tf.placeholder(tf.float32)
    w = tf.constant(3.0)
    loss = tf.reduce_mean(tf.square(x * w - 1.0))
    (gw,) = tf.gradients(loss, w)
    xv = np.array([1.0, 2.0, 4.0], np.float32)
    with tf.Session() as sess:
        got = sess.run(gw, {x: xv})
        scalar = sess.run(gw, {x: 2.0})
    np.testing.assert_allclose(got, np.mean(2 * (xv * 3 - 1) * xv), rtol=1e-6)
    np.testing.assert_allclose(scalar, 2 * (2 * 3 - 1) * 2, rtol=1e-6)
    assert np.shape(got) == ()


def test_no_gradient_path_error():
    a = tf.constant([1.0, 3.0, 2.0])
    y = tf.cast(tf.argmax(a), tf.float32) * a
    (g,) = tf.gradients(tf.reduce_sum(y), a)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [1.0, 1.0, 1.0])
