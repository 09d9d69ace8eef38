"""tf.TensorArray against real TensorFlow (compat.v1 graph mode): writes and reads inside
tf.while_loop with gradients (the TF1 dynamic-decoding pattern), unstack / stack / gather /
scatter / concat / split, in float32 and float64."""

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


X = np.random.RandomState(0).randn(5, 3)
W = np.linspace(-1, 1, 9).reshape(3, 3)


def _rnn_loop(tf, dt):
    x = tf.placeholder(dt, [5, 3])
    w = tf.constant(W.astype(dt.as_numpy_dtype))
    inputs = tf.TensorArray(dt, size=5).unstack(x)
    outs = tf.TensorArray(dt, size=5, element_shape=[3])

    def body(t, h, ta):
        h = tf.tanh(tf.matmul(tf.expand_dims(inputs.read(t), 0), w)[0] + h)
        return t + 1, h, ta.write(t, h)

    _, h, ta = tf.while_loop(
        lambda t, h, ta: t < 5, body, [tf.constant(0), tf.zeros([3], dt), outs]
    )
    y = ta.stack()
    grads = tf.gradients(tf.reduce_sum(y * y) + tf.reduce_sum(h), [x, w])
    return x, [y, h, ta.read(2), ta.concat(), ta.size(), *grads]


def _reverse_via_loop(tf, dt):
    # write in reverse order, read back with gather / scatter
    x = tf.placeholder(dt, [4, 2])
    src = tf.TensorArray(dt, size=4).unstack(x)
    dst = tf.TensorArray(dt, size=4, element_shape=[2])

    def body(t, ta):
        return t + 1, ta.write(3 - t, src.read(t) * 2.0)

    _, dst = tf.while_loop(lambda t, ta: t < 4, body, [tf.constant(0), dst])
    picked = dst.gather([3, 0])
    sc = tf.TensorArray(dt, size=4).scatter([1, 3, 0, 2], x * 3.0).stack()
    sp = tf.TensorArray(dt, size=2).split(x, [2, 2]).stack()
    total = tf.reduce_sum(dst.stack() * x) + tf.reduce_sum(sc * sc) + tf.reduce_sum(sp)
    return x, [dst.stack(), picked, sc, sp, tf.gradients(total, x)[0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("program", [_rnn_loop, _reverse_via_loop])
def test_matches_real_tf(ref, program, dtype):
    outs = []
    for tf in (dg, ref):
        with tf.Graph().as_default():
            x, fetch = program(tf, getattr(tf, dtype))
            value = X[: x.shape[0], : x.shape[1]].astype(dtype)
            with tf.Session() as s:
                outs.append(s.run(fetch, {x: value}))
    tol = 2e-5 if dtype == "float32" else 1e-12
    for a, b in zip(*outs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_first_write_outside_a_loop_fixes_the_element_shape():
    with dg.Graph().as_default():
        ta = dg.TensorArray(dg.float32, size=3)
        ta = ta.write(0, dg.constant([1.0, 2.0])).write(2, dg.constant([5.0, 6.0]))
        with dg.Session() as s:
            np.testing.assert_array_equal(s.run(ta.stack()), [[1, 2], [0, 0], [5, 6]])


def test_errors_name_the_array_and_what_to_do():
    with dg.Graph().as_default():
        with pytest.raises(NotImplementedError, match="dynamic_size"):
            dg.TensorArray(dg.float32, size=0, dynamic_size=True)
        with pytest.raises(NotImplementedError, match="size must be known"):
            dg.TensorArray(dg.float32, size=dg.placeholder(dg.int32, []))
        ta = dg.TensorArray(dg.float32, size=2)
        with pytest.raises(ValueError, match="element_shape"):
            dg.while_loop(lambda t, a: t < 2, lambda t, a: (t + 1, a), [0, ta])
        ta = dg.TensorArray(dg.float32, size=2, element_shape=[1])
        bad = ta.write(dg.placeholder_with_default(5, []), [1.0]).stack()
        with dg.Session() as s:
            with pytest.raises(Exception, match="TensorArray.write"):
                s.run(bad)
