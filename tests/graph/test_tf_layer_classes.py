"""tf.layers classes (Conv2D, MaxPooling2D, ...) against real TensorFlow (compat.v1 graph mode):
same kernels give the same values and gradients; a second call reuses the variables."""

import os

import duograd.frontends.graph as dg
import numpy as np
import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
real_tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode, with Keras 2 for tf.layers."""
    pytest.importorskip("tf_keras", reason="tf.layers under TF 2.16+ needs Keras 2 (tf-keras)")
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


R = np.random.RandomState(31)
X = R.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
X1 = R.uniform(-1, 1, (2, 9, 3)).astype(np.float32)
K2 = R.uniform(-1, 1, (3, 3, 3, 4)).astype(np.float32)
KT = R.uniform(-1, 1, (3, 3, 2, 4)).astype(np.float32)
K1 = R.uniform(-1, 1, (3, 3, 5)).astype(np.float32)


def _run(tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 3])
        x1 = tf.placeholder(tf.float32, [None, 9, 3])
        conv = tf.layers.Conv2D(
            4,
            3,
            padding="same",
            activation=tf.nn.relu,
            kernel_initializer=tf.constant_initializer(K2),
        )
        h = conv(x)
        h2 = conv(x * 0.5)  # reuses the kernel
        pooled = tf.layers.MaxPooling2D(2, 2)(h)
        avg = tf.layers.AveragePooling2D(2, 2, padding="same")(h2)
        up = tf.layers.Conv2DTranspose(
            2, 3, strides=2, padding="same", kernel_initializer=tf.constant_initializer(KT)
        )(pooled)
        c1 = tf.layers.Conv1D(5, 3, kernel_initializer=tf.constant_initializer(K1))(x1)
        p1 = tf.layers.MaxPooling1D(2, 2)(c1) + tf.layers.AveragePooling1D(2, 2)(c1)
        loss = tf.reduce_sum(up * up) + tf.reduce_sum(avg) + tf.reduce_sum(p1 * p1)
        grads = tf.gradients(loss, [x, x1, *conv.trainable_variables])
        n_vars = len(tf.global_variables())
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            return n_vars, len(conv.variables), s.run([up, avg, p1, *grads], {x: X, x1: X1})


def test_layer_classes_match_real_tf(ref):
    (n_a, v_a, ours), (n_b, v_b, theirs) = _run(dg), _run(ref)
    assert (n_a, v_a) == (n_b, v_b) == (6, 2)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
