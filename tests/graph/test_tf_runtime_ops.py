"""tf.py_func, tf.Print, tf.Assert, tf.train.Coordinator and start_queue_runners, against real
TensorFlow (compat.v1 graph mode) where it has them."""

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


X = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)


def _program(tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        doubled, count = tf.py_func(
            lambda a: (a * 2, np.int64(a.size)), [x], [tf.float32, tf.int64]
        )
        one = tf.py_func(lambda a: a.sum(1), [x], tf.float32)
        y = tf.Print(x * 3.0, [x, tf.shape(x)], message="x: ")
        g = tf.gradients(tf.reduce_sum(y * y), x)[0]
        check = tf.Assert(tf.reduce_all(x < 2.5), [x, "is too large"])
        with tf.control_dependencies([check]):
            guarded = tf.identity(x)
        with tf.Session() as s:
            out = s.run([doubled, count, one, y, g], {x: X[:1]})
            with pytest.raises(tf.errors.InvalidArgumentError):
                s.run(guarded, {x: X})
            out.append(s.run(guarded, {x: X[:1]}))
        return out


def test_runtime_ops_match_real_tf(ref, capfd):
    ours, theirs = _program(dg), _program(ref)
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b)
    assert "x: [1 -2]" in capfd.readouterr().err.replace(".0", "").replace("[[", "[")


def test_coordinator_and_queue_runners():
    coord = dg.train.Coordinator()
    with dg.Session() as s:
        threads = dg.train.start_queue_runners(sess=s, coord=coord)
    assert threads == [] and not coord.should_stop()
    with coord.stop_on_exception():
        raise ValueError("boom")
    assert coord.should_stop()
    with pytest.raises(ValueError, match="boom"):
        coord.join(threads)
