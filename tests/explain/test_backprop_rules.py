"""The shared rewritten-backward rules: forward values unchanged, gradients as the rules say."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest
from duograd.core import ops
from duograd.core.attribution import rules as R

X = np.array([[-1.5, -0.0, 0.0, 2.0], [0.5, -2.0, 3.0, -0.25]], np.float32)
G = np.array([[1.0, -2.0, 3.0, -4.0], [-0.5, 0.5, -1.5, 2.5]], np.float32)
A = np.array([[2.0, 1.0, -1.0, 0.5], [0.0, 3.0, -2.0, 1.5]], np.float32)


def _eager(fn):
    x = torch.tensor(X, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y, [x], torch.from_numpy(G))
    return y.detach().numpy(), g.numpy()


def _graph(fn):
    gr = tf.Graph()
    with gr.as_default():
        x = tf.placeholder(tf.float32, X.shape)
        y = fn(x)
        (g,) = tf.gradients(y, [x], grad_ys=tf.constant(G))
        with tf.Session() as s:
            return s.run([y, g], {x: X})


RULES = {
    # name: (rule, expected value, expected gradient)
    "rectify_grad": (ops.rectify_grad, X, np.maximum(G, 0)),
    "guided_relu": (lambda x: R.guided_relu(x, ops.relu(x)), np.maximum(X, 0),
                    np.maximum(G, 0) * (X > 0)),
    "deconv_relu": (lambda x: R.deconv_relu(x, ops.relu(x)), np.maximum(X, 0), np.maximum(G, 0)),
    "through": (lambda x: R.through(x, ops.tanh(x)), np.tanh(X), G),
    "times_input": (lambda x: R.times_input(x, A), A, G * A),
    "over_output": (lambda x: R.over_output(ops.mul(x, x), 0.1), X * X,
                    G * 2 * X / (X * X + 0.1)),  # chain rule through x * x
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_values_and_gradients_in_both_styles(name):
    fn, value, grad = RULES[name]
    ev, eg = _eager(fn)
    gv, gg = _graph(fn)
    np.testing.assert_allclose(ev, value, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(eg, grad, rtol=1e-6, atol=1e-7)
    assert np.array_equal(ev, gv) and np.array_equal(eg, gg)


def test_over_output_stabiliser_sign():
    # z + eps * sign(z), with sign(0) = +1, as Captum's rule
    z = np.array([-2.0, 0.0, 3.0], np.float32)
    x = torch.tensor(z, requires_grad=True)
    (g,) = torch.autograd.grad(R.over_output(x, 0.5), [x], torch.ones(3))
    np.testing.assert_allclose(g.numpy(), 1.0 / np.array([-2.5, 0.5, 3.5], np.float32))


def test_weight_rules():
    w = np.array([-1.0, 0.0, 2.0], np.float32)
    np.testing.assert_array_equal(R.GammaRule(0.5).weight(w), [-1.0, 0.0, 3.0])
    np.testing.assert_array_equal(R.Alpha1_Beta0_Rule().weight(w), [0.0, 0.0, 2.0])
    assert R.EpsilonRule().weight(w) is w and R.EpsilonRule(0.3).STABILITY_FACTOR == 0.3
    assert R.IdentityRule().identity and not R.GammaRule().identity
