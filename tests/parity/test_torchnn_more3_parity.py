"""Eager-versus-graph bitwise parity for the torch.nn names of this batch that have a TF1 twin:
F.local_response_norm / tf.nn.lrn (one core window sum), F.pad(mode='reflect') / tf.pad
(mode='REFLECT'), and F.pixel_shuffle / tf.nn.depth_to_space when the channel order agrees
(one output channel). Forward values and input gradients must be the same bits."""

from __future__ import annotations

import duograd.frontends.eager as torch
import duograd.frontends.graph as tf
import numpy as np
import pytest

F = torch.nn.functional
R = np.random.default_rng(16)


def _eager(fn, x, g):
    t = torch.tensor(x.copy(), requires_grad=True)
    out = fn(t)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), t.grad.numpy()


def _graph(fn, x, g):
    graph = tf.Graph()
    with graph.as_default():
        ph = tf.placeholder(tf.as_dtype(x.dtype), x.shape)
        out = fn(ph)
        gp = tf.placeholder(tf.as_dtype(g.dtype), g.shape)
        (grad,) = tf.gradients(out, [ph], grad_ys=gp)
        with tf.Session() as sess:
            return sess.run([out, grad], feed_dict={ph: x, gp: g})


def _nchw_to_nhwc(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("radius", [1, 2])
def test_local_response_norm_equals_tf_lrn_bitwise(radius, dtype):
    size = 2 * radius + 1
    alpha_tf = 0.25  # alpha_torch / size == alpha_tf exactly, so both scale the same
    x = R.standard_normal((2, 7, 3, 4)).astype(dtype)
    g = R.standard_normal(x.shape).astype(dtype)
    out_e, grad_e = _eager(
        lambda t: F.local_response_norm(t, size, alpha=alpha_tf * size, beta=0.75, k=2.0), x, g
    )
    out_g, grad_g = _graph(
        lambda p: tf.nn.lrn(p, radius, bias=2.0, alpha=alpha_tf, beta=0.75),
        _nchw_to_nhwc(x), _nchw_to_nhwc(g),
    )  # fmt: skip
    np.testing.assert_array_equal(_nchw_to_nhwc(out_e), out_g)
    np.testing.assert_array_equal(_nchw_to_nhwc(grad_e), grad_g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reflect_pad_equals_tf_pad_reflect_bitwise(dtype):
    x = R.standard_normal((2, 3, 5, 6)).astype(dtype)
    out_shape = (2, 3, 5 + 1 + 3, 6 + 2 + 2)
    g = R.standard_normal(out_shape).astype(dtype)
    out_e, grad_e = _eager(lambda t: F.pad(t, (2, 2, 1, 3), mode="reflect"), x, g)
    out_g, grad_g = _graph(
        lambda p: tf.pad(p, [[0, 0], [0, 0], [1, 3], [2, 2]], mode="REFLECT"), x, g
    )
    np.testing.assert_array_equal(out_e, out_g)
    np.testing.assert_array_equal(grad_e, grad_g)


def test_pixel_shuffle_equals_depth_to_space_for_one_output_channel():
    x = R.standard_normal((2, 4, 3, 5)).astype(np.float32)  # C = 1 * 2 * 2
    g = R.standard_normal((2, 1, 6, 10)).astype(np.float32)
    out_e, grad_e = _eager(lambda t: F.pixel_shuffle(t, 2), x, g)
    out_g, grad_g = _graph(lambda p: tf.nn.depth_to_space(p, 2), _nchw_to_nhwc(x), _nchw_to_nhwc(g))
    np.testing.assert_array_equal(_nchw_to_nhwc(out_e), out_g)
    np.testing.assert_array_equal(_nchw_to_nhwc(grad_e), grad_g)
