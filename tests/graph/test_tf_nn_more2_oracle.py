"""unsorted_segment_sum, atrous_conv2d, convolution, fused_batch_norm, load_variable and
replica_device_setter against real TensorFlow (compat.v1 graph mode)."""

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


R = np.random.RandomState(41)
X = R.uniform(-1, 1, (2, 9, 9, 3)).astype(np.float32)
W = R.uniform(-1, 1, (3, 3, 3, 4)).astype(np.float32)
X1 = R.uniform(-1, 1, (2, 9, 3)).astype(np.float32)
W1 = R.uniform(-1, 1, (3, 3, 2)).astype(np.float32)
D = R.uniform(-1, 1, (6, 3)).astype(np.float32)
IDS = np.array([2, 0, 2, 3, 0, 2], np.int32)
SCALE, OFFSET = np.array([1.0, 0.5, 2.0], np.float32), np.array([0.1, -0.2, 0.0], np.float32)

GIDX = np.array([[1, 2], [0, 0], [1, 2]], np.int64)
GIDX1 = np.array([[[1], [0]]], np.int32)

PROGRAMS = {
    "gather_nd_pairs": (lambda tf, x: tf.gather_nd(tf.reshape(x, [2, 3, 3]), GIDX), D),
    "gather_nd_rows": (lambda tf, x: tf.gather_nd(x, GIDX1), D),
    "segment_sum": (lambda tf, x: tf.unsorted_segment_sum(x, tf.constant(IDS), 5), D),
    "atrous": (lambda tf, x: tf.nn.atrous_conv2d(x, tf.constant(W), 2, "SAME"), X),
    "convolution_2d": (
        lambda tf, x: tf.nn.convolution(x, tf.constant(W), "VALID", strides=[2, 2]),
        X,
    ),
    "convolution_1d": (lambda tf, x: tf.nn.convolution(x, tf.constant(W1), "SAME"), X1),
    "fused_bn_train": (
        lambda tf, x: list(tf.nn.fused_batch_norm(x, tf.constant(SCALE), tf.constant(OFFSET))),
        X,
    ),
    "fused_bn_infer": (
        lambda tf, x: tf.nn.fused_batch_norm(
            x,
            tf.constant(SCALE),
            tf.constant(OFFSET),
            tf.constant(OFFSET + 0.3),
            tf.constant(SCALE),
            is_training=False,
        )[0],
        X,
    ),  # fmt: skip
}


def _run(tf, program, x_value):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, x_value.shape)
        ys = program(tf, x)
        ys = ys if isinstance(ys, list) else [ys]
        g = tf.gradients(tf.add_n([tf.reduce_sum(y * y) for y in ys]), x)
        with tf.Session() as s:
            return s.run(ys + g, {x: x_value})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_real_tf(ref, name):
    program, x = PROGRAMS[name]
    for a, b in zip(_run(dg, program, x), _run(ref, program, x), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=name)


def test_load_variable_and_replica_device_setter(tmp_path):
    with dg.Graph().as_default():
        with dg.device(dg.train.replica_device_setter(ps_tasks=0)):
            v = dg.Variable(D, name="emb")
        saver = dg.train.Saver()
        with dg.Session() as s:
            s.run(dg.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "m.ckpt"))
    np.testing.assert_array_equal(dg.train.load_variable(str(tmp_path), "emb"), D)
    np.testing.assert_array_equal(dg.train.load_variable(prefix, v.op.name), D)
    with pytest.raises(dg.errors.NotFoundError):
        dg.train.load_variable(prefix, "nothing")
