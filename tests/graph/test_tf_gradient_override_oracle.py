"""tf.RegisterGradient + Graph.gradient_override_map and tf.custom_gradient, against real
TensorFlow (compat.v1 graph mode): the identity-with-custom-gradient and guided-ReLU idioms."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")

X = np.array([[1.5, -2.0, 0.25], [-0.5, 3.0, -1.0]], np.float32)
W = np.array([[0.5, -1.0], [1.0, 0.25], [-0.75, 0.5]], np.float32)


@pytest.fixture(scope="module")
def ref():
    """tensorflow.compat.v1 in graph mode."""
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    return v1


def _run_both(ref, program):
    out = []
    for tf in (dg, ref):
        with tf.Graph().as_default() as g:
            fetches = program(tf, g)
            with tf.Session() as s:
                out.append(s.run(fetches))
    return out


def _check(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_identity_with_a_registered_gradient(ref):
    for tf in (dg, ref):
        tf.RegisterGradient("TimesThreeGrad")(lambda op, grad: grad * 3.0)

    def program(tf, g):
        x = tf.constant(X)
        with g.gradient_override_map({"Identity": "TimesThreeGrad"}):
            y = tf.identity(x)
        z = tf.identity(x)  # made outside the map: the usual gradient
        loss = tf.reduce_sum(y * y) + tf.reduce_sum(z)
        return [loss, tf.gradients(loss, x)[0]]

    _check(*_run_both(ref, program))


def test_guided_relu(ref):
    def guided(op, grad):
        tf = dg if isinstance(grad, dg.Tensor) else ref
        keep = tf.logical_and(grad > 0.0, op.outputs[0] > 0.0)
        return tf.where(keep, grad, tf.zeros_like(grad))

    for tf in (dg, ref):
        tf.RegisterGradient("GuidedReluTest")(guided)

    def program(tf, g):
        x = tf.constant(X)
        with g.gradient_override_map({"Relu": "GuidedReluTest"}):
            h = tf.nn.relu(tf.matmul(x, tf.constant(W)) - 0.2)
            out = tf.nn.relu(h * tf.constant([[1.0, -2.0]]) + 0.5)
        plain = tf.nn.relu(tf.matmul(x, tf.constant(W)))
        return [tf.gradients(tf.reduce_sum(out), x)[0], tf.gradients(tf.reduce_sum(plain), x)[0]]

    ours, theirs = _run_both(ref, program)
    _check(ours, theirs)
    assert not np.array_equal(ours[0], ours[1])


def test_custom_gradient(ref):
    def program(tf, g):
        @tf.custom_gradient
        def log1pexp(x):
            e = tf.exp(x)

            def grad(dy):
                return dy * (1.0 - 1.0 / (1.0 + e))

            return tf.log(1.0 + e), grad

        @tf.custom_gradient
        def clip_grad(x, y):
            def grad(dy):
                return tf.clip_by_value(dy, -0.5, 0.5), dy * 2.0

            return x * y, grad

        x = tf.constant(X)
        y = log1pexp(x)
        z = clip_grad(x, tf.constant(X * 2.0))
        return [y, tf.gradients(tf.reduce_sum(y * 3.0), x)[0],
                tf.gradients(tf.reduce_sum(z * 4.0), x)[0]]  # fmt: skip

    _check(*_run_both(ref, program))


def test_an_unregistered_override_name_raises_lookup_error():
    x = dg.constant(X)
    with dg.get_default_graph().gradient_override_map({"Identity": "NoSuchGradientXYZ"}):
        y = dg.identity(x)
    with pytest.raises(LookupError, match="NoSuchGradientXYZ"):
        dg.gradients(y, x)
    with pytest.raises(KeyError, match="Registering two gradient"):
        dg.RegisterGradient("TwiceGrad")(lambda op, g: g)
        dg.RegisterGradient("TwiceGrad")(lambda op, g: g)
    with pytest.raises(TypeError, match="gradient_override_map"):
        with dg.get_default_graph().gradient_override_map({"Identity": 3}):
            pass
