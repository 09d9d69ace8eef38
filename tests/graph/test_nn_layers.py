"""tf.nn, tf.layers and tf.losses against numpy formulas."""

import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import init as core_init
from duograd.core import random as core_random

R = np.random.RandomState(5)
Z = R.randn(4, 3).astype(np.float32)
LAB = np.array([0, 2, 1, 2], np.int64)
ONEHOT = np.eye(3, dtype=np.float32)[LAB]


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def log_softmax(z):
    z = z.astype(np.float64)
    return (
        z
        - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
        - z.max(1, keepdims=True)
    )


def test_softmax_family():
    z = tf.constant(Z)
    np.testing.assert_allclose(run(tf.nn.softmax(z)), np.exp(log_softmax(Z)), rtol=1e-5)
    np.testing.assert_allclose(run(tf.nn.log_softmax(z)), log_softmax(Z), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(tf.nn.softmax(z, axis=0)), np.exp(log_softmax(Z.T)).T, rtol=1e-5)


def test_cross_entropies():
    z = tf.constant(Z)
    want = -log_softmax(Z)[np.arange(4), LAB]
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=LAB, logits=z)
    dense = tf.nn.softmax_cross_entropy_with_logits(labels=ONEHOT, logits=z)
    dense2 = tf.nn.softmax_cross_entropy_with_logits_v2(labels=ONEHOT, logits=z)
    for t in (sparse, dense, dense2):
        np.testing.assert_allclose(run(t), want, rtol=1e-5)
    np.testing.assert_allclose(
        run(tf.losses.sparse_softmax_cross_entropy(LAB, z)), want.mean(), rtol=1e-5
    )
    np.testing.assert_allclose(
        run(tf.losses.softmax_cross_entropy(ONEHOT, z)), want.mean(), rtol=1e-5
    )
    with pytest.raises(ValueError, match="labels= and logits="):
        tf.nn.sparse_softmax_cross_entropy_with_logits(LAB, z)


def test_v1_softmax_cross_entropy_stops_gradient_into_labels():
    z = tf.constant(Z)
    y = tf.constant(ONEHOT)
    v1 = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z))
    v2 = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=z))
    assert tf.gradients(v1, y) == [None]
    np.testing.assert_allclose(run(tf.gradients(v2, y)[0]), -log_softmax(Z), rtol=1e-5, atol=1e-6)
    (gz,) = tf.gradients(v1, z)
    np.testing.assert_allclose(run(gz), np.exp(log_softmax(Z)) - ONEHOT, rtol=1e-5, atol=1e-6)


def test_sigmoid_ce_l2_bias_add_leaky_relu():
    z = tf.constant(Z)
    t = (Z > 0).astype(np.float32)
    want = np.maximum(Z, 0) - Z * t + np.log1p(np.exp(-np.abs(Z)))
    np.testing.assert_allclose(
        run(tf.nn.sigmoid_cross_entropy_with_logits(labels=t, logits=z)), want, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(run(tf.losses.sigmoid_cross_entropy(t, z)), want.mean(), rtol=1e-5)
    np.testing.assert_allclose(
        run(tf.nn.l2_loss(z)), (Z.astype(np.float64) ** 2).sum() / 2, rtol=1e-5
    )
    b = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(run(tf.nn.bias_add(z, b)), Z + b)
    with pytest.raises(ValueError, match="bias"):
        tf.nn.bias_add(z, tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(
        run(tf.nn.leaky_relu(z, 0.1)), np.where(Z > 0, Z, 0.1 * Z), rtol=1e-6
    )


def test_regression_losses_and_collection():
    p = tf.constant(Z)
    y = tf.constant(Z[::-1].copy())
    mse = tf.losses.mean_squared_error(y, p)
    mae = tf.losses.absolute_difference(y, p)
    np.testing.assert_allclose(run(mse), np.mean((Z - Z[::-1]) ** 2), rtol=1e-5)
    np.testing.assert_allclose(run(mae), np.mean(np.abs(Z - Z[::-1])), rtol=1e-5)
    assert tf.losses.get_losses() == [mse, mae]
    np.testing.assert_allclose(run(tf.losses.get_total_loss()), run(mse) + run(mae), rtol=1e-6)
    w = np.array([[1.0], [0.0], [2.0], [0.0]], np.float32)
    weighted = tf.losses.mean_squared_error(y, p, weights=tf.constant(w))
    sq = (Z - Z[::-1]) ** 2 * w
    np.testing.assert_allclose(run(weighted), sq.sum() / 6, rtol=1e-5)
    with pytest.raises(ValueError, match="must match"):
        tf.losses.mean_squared_error(tf.constant(Z[:, 0]), tf.constant(Z[:, :1]))


def test_moments_and_batch_normalization():
    x = tf.constant(Z)
    mean, var = tf.nn.moments(x, [0])
    np.testing.assert_allclose(run(mean), Z.mean(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(run(var), Z.var(0), rtol=1e-5)
    bn = tf.nn.batch_normalization(x, mean, var, tf.zeros([3]), tf.ones([3]), 1e-3)
    np.testing.assert_allclose(
        run(bn), (Z - Z.mean(0)) / np.sqrt(Z.var(0) + 1e-3), rtol=1e-4, atol=1e-5
    )


def test_dropout_static_and_fed_keep_prob_agree_bitwise():
    x = tf.constant(np.ones((50, 40), np.float32))
    static = tf.nn.dropout(x, keep_prob=0.8)
    by_rate = tf.nn.dropout(x, rate=0.2)
    keep = tf.placeholder(tf.float32, [])
    fed = tf.nn.dropout(x, keep)
    with tf.Session() as sess:
        tf.set_random_seed(9)
        a = sess.run(static)
        tf.set_random_seed(9)
        b = sess.run(by_rate)
        tf.set_random_seed(9)
        c = sess.run(fed, {keep: 0.8})
        np.testing.assert_array_equal(sess.run(fed, {keep: 1.0}), np.ones((50, 40)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / np.float32(0.8))}
    assert 0.7 < (a > 0).mean() < 0.9


def test_layers_dense_glorot_default_and_shapes():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    h = tf.layers.dense(x, 3, activation=tf.nn.relu)
    out = tf.layers.dense(h, 2, name="head", use_bias=False)
    names = [v.name for v in tf.trainable_variables()]
    assert names == ["dense/kernel:0", "dense/bias:0", "head/kernel:0"]
    assert h.shape.as_list() == [None, 3] and out.shape.as_list() == [None, 2]
    xv = R.randn(5, 4).astype(np.float32)
    with tf.Session() as sess:
        tf.set_random_seed(2)
        sess.run(tf.global_variables_initializer())
        k1, b1, k2, got = sess.run(tf.trainable_variables() + [out], {x: xv})
    gen = core_random.Generator(2)
    np.testing.assert_array_equal(k1, core_init.glorot_uniform((4, 3), "in_out", gen=gen))
    np.testing.assert_array_equal(k2, core_init.glorot_uniform((3, 2), "in_out", gen=gen))
    np.testing.assert_array_equal(b1, np.zeros(3))
    np.testing.assert_allclose(got, np.maximum(xv @ k1 + b1, 0) @ k2, rtol=1e-5, atol=1e-6)


def test_layers_dense_out_in_layout_and_reuse():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.layers.dense(x, 3, name="fc", kernel_layout="out_in")
    y2 = tf.layers.dense(x, 3, name="fc", reuse=True, kernel_layout="out_in")
    assert len(tf.trainable_variables()) == 2
    kernel = tf.trainable_variables()[0]
    assert kernel.shape.as_list() == [3, 4]
    xv = R.randn(2, 4).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, a, b = sess.run([kernel, y, y2], {x: xv})
    np.testing.assert_allclose(a, xv @ k.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="last dimension"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 2)


def test_dense_layer_object_and_layers_dropout_flatten():
    layer = tf.layers.Dense(2, name="obj")
    x = tf.placeholder(tf.float32, [None, 3])
    a, b = layer(x), layer(x * 2.0)
    assert len(layer.variables) == 2 and layer.kernel.name == "obj/kernel:0"
    assert len(tf.trainable_variables()) == 2
    train = tf.placeholder(tf.bool, [])
    d = tf.layers.dropout(x, 0.5, training=train)
    assert tf.layers.dropout(x, 0.5) is x
    flat = tf.layers.flatten(tf.placeholder(tf.float32, [None, 2, 3]))
    assert flat.shape.as_list() == [None, 6]
    xv = np.ones((4, 3), np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        ra, rb = sess.run([a, b], {x: xv})
        np.testing.assert_allclose(rb, 2 * ra - sess.run(layer.bias), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(sess.run(d, {x: xv, train: False}), xv)
        dropped = sess.run(d, {x: xv, train: True})
    assert set(np.unique(dropped)) <= {0.0, 2.0}


def _np_conv_valid(x, w):
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    out = np.zeros((n, h - kh + 1, wd - kw + 1, o))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            patch = x[:, i : i + kh, j : j + kw, :].astype(np.float64)
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_layers_conv2d_and_pooling():
    x = tf.placeholder(tf.float32, [None, 6, 5, 2])
    y = tf.layers.conv2d(x, 3, (3, 2), activation=tf.nn.relu, name="conv")
    p = tf.layers.max_pooling2d(y, 2, 2)
    a = tf.layers.average_pooling2d(y, 2, 2, padding="same")
    kernel, bias = tf.trainable_variables()
    assert kernel.name == "conv/kernel:0" and kernel.shape.as_list() == [3, 2, 2, 3]
    assert y.shape.as_list() == [None, 4, 4, 3] and p.shape.as_list() == [None, 2, 2, 3]
    xv = R.randn(2, 6, 5, 2).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bias.assign([0.1, -0.1, 0.0]))
        k, yv, pv, av = sess.run([kernel, y, p, a], {x: xv})
    want = np.maximum(_np_conv_valid(xv, k) + [0.1, -0.1, 0.0], 0)
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pv, want.reshape(2, 2, 2, 2, 2, 3).max((2, 4)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        av, want.reshape(2, 2, 2, 2, 2, 3).mean((2, 4)), rtol=1e-4, atol=1e-5
    )
    with pytest.raises(ValueError, match="channel"):
        tf.layers.conv2d(tf.placeholder(tf.float32, [None, 4, 4, None]), 2, 3)
