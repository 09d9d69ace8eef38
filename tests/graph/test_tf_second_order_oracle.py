"""tf.gradients of tf.gradients against real TensorFlow (compat.v1 graph mode): gradient
penalties through tanh, sigmoid, softmax, log_softmax and relu, and Hessian-vector products."""

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(21)
X = R.uniform(-1, 1, (4, 5)).astype(np.float32)
W1 = R.uniform(-1, 1, (5, 6)).astype(np.float32)
W2 = R.uniform(-1, 1, (6, 3)).astype(np.float32)

ACTS = {
    "tanh": lambda tf, h: tf.tanh(h),
    "sigmoid": lambda tf, h: tf.sigmoid(h),
    "relu": lambda tf, h: tf.nn.relu(h),
    "softmax": lambda tf, h: tf.nn.softmax(h),
    "log_softmax": lambda tf, h: tf.nn.log_softmax(h),
    "tanh_sigmoid": lambda tf, h: tf.sigmoid(tf.tanh(h) * 2.0),
}


def _penalty(tf, act):
    """A WGAN-GP style penalty: ((|d critic / d x| - 1)^2), differentiated w.r.t. the weights."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5])
        w1, w2 = tf.Variable(W1), tf.Variable(W2)
        h = act(tf, tf.matmul(x, w1))
        critic = tf.reduce_sum(act(tf, tf.matmul(h, w2)) * tf.constant([1.0, -2.0, 0.5]))
        gx = tf.gradients(critic, x)[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(gx), axis=1) + 1e-8)
        penalty = tf.reduce_mean(tf.square(norm - 1.0))
        # through relu, x reaches the penalty only by the (flat) mask: zeros
        grads = tf.gradients(penalty, [w1, w2, x], unconnected_gradients="zero")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return s.run([penalty, *grads], {x: X})


@pytest.mark.parametrize("act", sorted(ACTS))
def test_gradient_penalty_matches_real_tf(ref, act):
    ours, theirs = _penalty(dg, ACTS[act]), _penalty(ref, ACTS[act])
    for a, b in zip(ours, theirs, strict=True):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _hvp(tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [5])
        v = tf.constant(np.linspace(-1, 1, 5).astype(np.float32))
        y = tf.reduce_sum(tf.nn.log_softmax(tf.tanh(x) * x)) + tf.reduce_sum(tf.sigmoid(x) ** 3)
        g = tf.gradients(y, x)[0]
        hv = tf.gradients(tf.reduce_sum(g * v), x)[0]
        with tf.Session() as s:
            return s.run([g, hv], {x: X[0]})


def test_hessian_vector_product_matches_real_tf(ref):
    for a, b in zip(_hvp(dg), _hvp(ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_second_order_runs_are_deterministic_bitwise():
    a, b = _penalty(dg, ACTS["tanh_sigmoid"]), _penalty(dg, ACTS["tanh_sigmoid"])
    assert all(
        np.asarray(p).tobytes() == np.asarray(q).tobytes() for p, q in zip(a, b, strict=True)
    )
