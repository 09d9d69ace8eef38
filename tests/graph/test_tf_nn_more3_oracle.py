"""tf.nn conv backprops / transposes, pools, silu, relu_layer, moment helpers and loss scalers
against real TF (tf.compat.v1, graph mode): values and gradients, float32 and float64."""

from __future__ import annotations

import duograd.frontends.graph as dg
import numpy as np
import pytest

real_tf = pytest.importorskip("tensorflow")
tf1 = real_tf.compat.v1

RNG = np.random.default_rng(7)


def _a(*shape):
    return RNG.standard_normal(shape)


# name -> (input arrays, build(tf, *placeholders) -> output tensor)
CASES = {
    "conv2d_backprop_input": (
        [_a(3, 3, 2, 4), _a(2, 3, 3, 4)],
        lambda tf, w, g: tf.nn.conv2d_backprop_input([2, 6, 5, 2], w, g, [1, 2, 2, 1], "SAME"),
    ),
    "conv2d_backprop_filter": (
        [_a(2, 6, 5, 2), _a(2, 3, 3, 4)],
        lambda tf, x, g: tf.nn.conv2d_backprop_filter(x, [3, 3, 2, 4], g, [1, 2, 2, 1], "SAME"),
    ),
    "depthwise_conv2d_native": (
        [_a(2, 5, 5, 3), _a(3, 3, 3, 2)],
        lambda tf, x, w: tf.nn.depthwise_conv2d_native(x, w, [1, 1, 1, 1], "VALID"),
    ),
    "depthwise_conv2d_backprop_input": (
        [_a(3, 3, 3, 2), _a(2, 3, 3, 6)],
        lambda tf, w, g: tf.nn.depthwise_conv2d_native_backprop_input(
            [2, 5, 5, 3], w, g, [1, 1, 1, 1], "VALID"
        ),
    ),
    "depthwise_conv2d_backprop_filter": (
        [_a(2, 5, 5, 3), _a(2, 3, 3, 6)],
        lambda tf, x, g: tf.nn.depthwise_conv2d_native_backprop_filter(
            x, [3, 3, 3, 2], g, [1, 1, 1, 1], "VALID"
        ),
    ),
    "atrous_conv2d_transpose": (
        [_a(1, 6, 6, 3), _a(3, 3, 2, 3)],
        lambda tf, x, w: tf.nn.atrous_conv2d_transpose(x, w, [1, 6, 6, 2], 2, "SAME"),
    ),
    "conv1d_transpose": (
        [_a(2, 5, 3), _a(3, 4, 3)],
        lambda tf, x, w: tf.nn.conv1d_transpose(x, w, [2, 10, 4], 2, "SAME"),
    ),
    "conv_transpose_2d": (
        [_a(2, 3, 3, 3), _a(2, 2, 4, 3)],
        lambda tf, x, w: tf.nn.conv_transpose(x, w, [2, 6, 6, 4], 2, "VALID"),
    ),
    "pool_max_2d": (
        [_a(2, 6, 5, 3)],
        lambda tf, x: tf.nn.pool(x, [2, 3], "MAX", padding="SAME", strides=[2, 2]),
    ),
    "pool_avg_1d": (
        [_a(2, 7, 3)],
        lambda tf, x: tf.nn.pool(x, [3], "AVG", padding="SAME", strides=[2]),
    ),
    "max_pool_v2_3d": (
        [_a(1, 4, 4, 4, 2)],
        lambda tf, x: (tf.nn.max_pool_v2 if tf is dg else real_tf.nn.max_pool)(x, 2, 2, "VALID"),
    ),
    "avg_pool_v2_2d": (
        [_a(2, 5, 5, 2)],
        lambda tf, x: (tf.nn.avg_pool_v2 if tf is dg else real_tf.nn.avg_pool)(
            x, [3, 3], [2, 2], "SAME"
        ),
    ),
    "silu": ([_a(3, 4)], lambda tf, x: tf.nn.silu(x)),
    "silu_beta": ([_a(3, 4)], lambda tf, x: tf.nn.silu(x, beta=0.7)),
    "relu_layer": ([_a(3, 4), _a(4, 5), _a(5)], lambda tf, x, w, b: tf.nn.relu_layer(x, w, b)),
    "sufficient_statistics": (
        [_a(3, 4, 2)],
        lambda tf, x: list(tf.nn.sufficient_statistics(x, [0, 1])[:3]),
    ),
    "sufficient_statistics_shift": (
        [_a(3, 4), _a(4)],
        lambda tf, x, s: list(tf.nn.sufficient_statistics(x, [0], shift=s, keepdims=True)),
    ),
    "normalize_moments": (
        [_a(4), _a(4) ** 2 + 3, _a(4)],
        lambda tf, m, v, s: list(tf.nn.normalize_moments(tf.constant(5.0, m.dtype), m, v, s)),
    ),
    "weighted_moments": (
        [_a(3, 4), np.abs(_a(3, 1)) + 0.1],
        lambda tf, x, w: list(tf.nn.weighted_moments(x, [0], w)),
    ),
    "weighted_moments_keep": (
        [_a(2, 3, 4), np.abs(_a(2, 3, 4)) + 0.1],
        lambda tf, x, w: list(tf.nn.weighted_moments(x, [1, 2], w, keepdims=True)),
    ),
    "compute_average_loss": (
        [_a(6), np.abs(_a(6))],
        lambda tf, x, w: [
            tf.nn.compute_average_loss(x, sample_weight=w),
            tf.nn.compute_average_loss(x, global_batch_size=12),
        ],
    ),
    "scale_regularization_loss": (
        [_a(3)],
        lambda tf, x: tf.nn.scale_regularization_loss(x),
    ),
}


def _run(tf, arrays, build, dtype):
    with tf.Graph().as_default():
        phs = [tf.placeholder(dtype, a.shape) for a in arrays]
        out = build(tf, *phs)
        outs = out if isinstance(out, list) else [out]
        outs = [o for o in outs if o is not None]
        total = tf.add_n([tf.reduce_sum(tf.cast(o, dtype) * (1.0 + tf.cast(tf.range(tf.size(o)),
                          dtype)[0])) for o in outs])  # fmt: skip
        grads = tf.gradients(total, phs)
        with tf.Session() as sess:
            feed = {p: a.astype(dtype) for p, a in zip(phs, arrays, strict=True)}
            vals = sess.run(outs, feed)
            gs = sess.run([g for g in grads if g is not None], feed)
    return vals, gs, [g is None for g in grads]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tf(case, dtype):
    arrays, build = CASES[case]
    if case == "max_pool_v2_3d" and dtype == np.float64:
        pytest.skip("TF's MaxPool3D has no float64 kernel")
    ours = _run(dg, arrays, build, dtype)
    theirs = _run(tf1, arrays, build, dtype)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    assert ours[2] == theirs[2]
    for o, t in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=tol, atol=tol)


def test_errors_name_the_op_and_argument():
    with dg.Graph().as_default():
        g = dg.placeholder(dg.float32, [1, 3, 3, 2])
        w = dg.zeros([3, 3, 1, 2])
        with pytest.raises(NotImplementedError, match="conv2d_backprop_input: input_sizes"):
            dg.nn.conv2d_backprop_input(dg.shape(g), w, g, [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="filter_sizes must have 4 entries"):
            dg.nn.conv2d_backprop_filter(g, [3, 3], g, [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="pooling_type must be 'MAX' or 'AVG'"):
            dg.nn.pool(g, [2, 2], "MIN")
        with pytest.raises(NotImplementedError, match="dilation_rate"):
            dg.nn.pool(g, [2, 2], "MAX", dilation_rate=[2, 2])
        with pytest.raises(ValueError, match="rate must be >= 1"):
            dg.nn.atrous_conv2d_transpose(g, w, [1, 3, 3, 1], 0, "SAME")
        with pytest.raises(ValueError, match="global_batch_size must be positive"):
            dg.nn.compute_average_loss(dg.zeros([3]), global_batch_size=0)


LOSS_CASES = {
    "compute_weighted_loss_default": (
        [_a(4, 3), np.array([[1.0], [0.0], [2.0], [0.5]])],
        lambda tf, x, w: tf.losses.compute_weighted_loss(x, w),
    ),
    "compute_weighted_loss_reductions": (
        [_a(4, 3), np.abs(_a(4, 3))],
        lambda tf, x, w: [
            tf.losses.compute_weighted_loss(x, w, reduction=r)
            for r in ("none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size")
        ],
    ),
    "mean_pairwise_squared_error": (
        [_a(3, 4), _a(3, 4)],
        lambda tf, y, p: tf.losses.mean_pairwise_squared_error(y, p),
    ),
    "mean_pairwise_squared_error_weighted_3d": (
        [_a(3, 2, 3), _a(3, 2, 3), np.array([[[1.0]], [[0.0]], [[2.0]]])],
        lambda tf, y, p, w: tf.losses.mean_pairwise_squared_error(y, p, weights=w),
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_losses_match_tf(case, dtype):
    arrays, build = LOSS_CASES[case]
    ours = _run(dg, arrays, build, dtype)
    theirs = _run(tf1, arrays, build, dtype)
    assert ours[2] == theirs[2]
    for o, t in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        assert o.shape == t.shape and o.dtype == t.dtype
        np.testing.assert_allclose(o, t, rtol=1e-6, atol=1e-6)
    with dg.Graph().as_default():
        loss = dg.losses.compute_weighted_loss(dg.ones([2]))
        assert dg.losses.get_losses() == [loss]
        with pytest.raises(ValueError, match="invalid reduction 'bad'"):
            dg.losses.compute_weighted_loss(dg.ones([2]), reduction="bad")
