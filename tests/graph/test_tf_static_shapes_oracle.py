"""Static shapes of ops built from run-time values match real TensorFlow's (compat.v1 graph
mode): fill / zeros / reshape / random_normal from lists holding tf.shape() entries, tf.range
of a run-time length, one_hot of fed labels, sequence_mask, and tf.layers dropout / batch
normalisation driven by an unshaped bool placeholder."""

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


def _build(tf):
    x = tf.placeholder(tf.float32, [None, 6])
    labels = tf.placeholder(tf.int32, [None])
    lengths = tf.placeholder(tf.int32, [None])
    training = tf.placeholder(tf.bool)
    b = tf.shape(x)[0]
    return {
        "fill": tf.fill([b, 2], 3.0),
        "zeros": tf.zeros([b, 10]),
        "ones": tf.ones([b, 2, 3], tf.float64),
        "reshape": tf.reshape(x, [b, 2, 3]),
        "reshape_minus_one": tf.reshape(x, [b, -1, 3]),
        "reshape_static_minus_one": tf.reshape(x, [-1, 3]),
        "random_normal": tf.random_normal([b, 4]) * 0.0,
        "range": tf.range(b),
        "one_hot": tf.one_hot(labels, 5),
        "sequence_mask": tf.sequence_mask(lengths, 4),
        "dropout": tf.layers.dropout(x, 0.5, training=training) * 0.0,
        "batch_norm": tf.layers.batch_normalization(x, training=training),
    }, (x, labels, lengths, training)


def test_static_and_run_time_shapes_match_real_tf(ref):
    def run(tf):
        with tf.Graph().as_default():
            outs, (x, labels, lengths, training) = _build(tf)
            static = {k: v.get_shape().as_list() for k, v in outs.items()}
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                feed = {
                    x: np.ones((5, 6), np.float32),
                    labels: [0, 1, 2, 3, 4],
                    lengths: [1, 2, 3, 4, 0],
                    training: True,
                }
                values = s.run(outs, feed)
        return static, values

    (ours_static, ours), (theirs_static, theirs) = run(dg), run(ref)
    assert ours_static == theirs_static
    for k in theirs:
        assert ours[k].shape == theirs[k].shape, k
        assert ours[k].dtype == theirs[k].dtype, k
        if k != "batch_norm":
            np.testing.assert_array_equal(ours[k], theirs[k], err_msg=k)


def test_gradients_through_a_run_time_loop_say_so():
    # tf.while_loop and tf.map_fn over a run-time length differentiate (oracle tests in
    # tests/graph/test_tf_while_grad_more2.py); with back_prop=False there is no gradient
    with dg.Graph().as_default():
        x = dg.placeholder(dg.float32, [None, 2])
        r = dg.map_fn(lambda row: row * 2.0, x, back_prop=False)
        assert dg.gradients(dg.reduce_sum(r), x) == [None]
        # a path around the loop still differentiates; the loop's part is refused
        assert dg.gradients(dg.reduce_sum(x * 2.0), x)[0] is not None
