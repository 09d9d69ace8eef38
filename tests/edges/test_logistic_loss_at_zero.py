"""Sigmoid cross-entropy on logits at z == 0: gradient sigmoid(0) - t = 0.5 - t, as both anchors.

A model that starts from zero weights has every logit at 0; a tie rule on max(z, 0) plus a zero
slope of |z| at 0 would give 1 - t there and train differently from torch and TF.
"""

from __future__ import annotations

import duograd.frontends.eager as dtorch
import duograd.frontends.graph as dtf
import numpy as np
import pytest

Z = np.array([0.0, -0.0, 0.0, 1.5, -2.0, 30.0, -30.0], np.float32)
T = np.array([1.0, 0.0, 0.25, 1.0, 0.0, 0.3, 0.7], np.float32)


def _eager():
    z = dtorch.tensor(Z, requires_grad=True)
    loss = dtorch.nn.functional.binary_cross_entropy_with_logits(
        z, dtorch.tensor(T), reduction="sum"
    )
    loss.backward()
    return loss.detach().numpy(), z.grad.numpy()


def _graph():
    g = dtf.Graph()
    with g.as_default():
        z = dtf.placeholder(dtf.float32, [Z.size])
        loss = dtf.reduce_sum(dtf.nn.sigmoid_cross_entropy_with_logits(labels=T, logits=z))
        (grad,) = dtf.gradients(loss, [z])
        with dtf.Session() as sess:
            return sess.run([loss, grad], {z: Z})


def test_gradient_at_zero_is_half_minus_target_in_both_styles():
    loss_e, grad_e = _eager()
    loss_g, grad_g = _graph()
    np.testing.assert_array_equal(grad_e[:3], 0.5 - T[:3])
    assert grad_e.tobytes() == grad_g.tobytes()
    assert np.asarray(loss_e).tobytes() == np.asarray(loss_g).tobytes()


def test_matches_torch():
    torch = pytest.importorskip("torch")
    z = torch.tensor(Z, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(T), reduction="sum")
    loss.backward()
    loss_e, grad_e = _eager()
    np.testing.assert_allclose(grad_e, z.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loss_e, loss.detach().numpy(), rtol=1e-6)


def test_matches_tensorflow():
    tf = pytest.importorskip("tensorflow").compat.v1
    tf.disable_eager_execution()
    g = tf.Graph()
    with g.as_default():
        z = tf.placeholder(tf.float32, [Z.size])
        loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=T, logits=z))
        (grad,) = tf.gradients(loss, [z])
        with tf.Session() as sess:
            want_loss, want_grad = sess.run([loss, grad], {z: Z})
    loss_g, grad_g = _graph()
    np.testing.assert_allclose(grad_g, want_grad, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loss_g, want_loss, rtol=1e-6)
