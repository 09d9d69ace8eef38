"""Inference BatchNorm folded into the conv filter: opt-in, within rounding of the unfolded plan,
off by default, refused for batch statistics (training)."""

from __future__ import annotations

import duograd.frontends.graph as tf
import numpy as np
from duograd.core.passes.options import Options
from duograd.core.passes.verify import same_bits

RNG = np.random.default_rng(8)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _decisions(plan, action):
    return {d["node"]: d["reason"] for d in plan.program.decisions("fold_batch_norm", action)}


def _inference_net():
    x = tf.placeholder(tf.float32, [None, 9, 9, 4])
    k = tf.Variable(f32(3, 3, 4, 8) * 0.3)
    mean, var = tf.Variable(f32(8) * 0.1), tf.Variable(np.abs(f32(8)) + 0.5)
    gamma, beta = tf.Variable(f32(8) * 0.2 + 1.0), tf.Variable(f32(8) * 0.1)
    c = tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")
    y = tf.nn.relu(tf.nn.batch_normalization(c, mean, var, beta, gamma, 1e-5))
    return x, y


def test_folded_inference_is_within_rounding_and_off_by_default():
    assert Options().fold_batch_norm is False
    x, y = _inference_net()
    feed = {x: f32(5, 9, 9, 4)}
    init = tf.global_variables_initializer()
    default, folded = tf.Session(), tf.Session(optimize={"fold_batch_norm": True})
    default.run(init)
    folded.run(init)
    want, got = default.run(y, feed), folded.run(y, feed)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert len(_decisions(folded.plan_for(y, feed), "fused")) == 1
    assert not _decisions(default.plan_for(y, feed), "fused")
    # the default plan keeps the plain plan's bits
    plain = tf.Session(optimize=False)
    plain.run(init)
    assert same_bits(default.run(y, feed), plain.run(y, feed))


def test_training_batch_norm_is_not_folded():
    x = tf.placeholder(tf.float32, [None, 6, 6, 3])
    k = tf.Variable(f32(3, 3, 3, 4))
    c = tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")
    mean, var = tf.nn.moments(c, [0, 1, 2])
    y = tf.nn.batch_normalization(c, mean, var, None, None, 1e-5)
    sess = tf.Session(optimize={"fold_batch_norm": True})
    sess.run(tf.global_variables_initializer())
    feed = {x: f32(4, 6, 6, 3)}
    plain = tf.Session(optimize=False)
    plain.run(tf.global_variables_initializer())
    assert same_bits(sess.run(y, feed), plain.run(y, feed))
    plan = sess.plan_for(y, feed)
    assert not _decisions(plan, "fused")
    assert _decisions(plan, "refused")
