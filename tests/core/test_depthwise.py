"""Depthwise convolution as one kernel: against PyTorch (groups == in_channels) and TF1
(tf.nn.depthwise_conv2d, separable_conv2d), values and gradients in float32 and float64; eager
vs graph bit for bit; one primitive per call (not one conv2d per channel); named errors."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest
from duograd.core.primitives import depthwise as D

RNG = np.random.default_rng(21)

# (x NCHW shape, multiplier, kernel, stride, padding (torch ints), dilation)
CASES = {
    "plain3x3": ((2, 5, 8, 7), 1, 3, 1, 1, 1),
    "stride2": ((2, 4, 9, 8), 1, 3, 2, 1, 1),
    "multiplier2_dilated": ((1, 3, 9, 9), 2, 3, 1, 2, 2),
    "wide5x5_valid": ((3, 2, 8, 10), 3, 5, 1, 0, 1),
}


def _torch_step(lib, x, w, s, p, d):
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    c = x.shape[1]
    y = lib.nn.functional.conv2d(xt, wt, None, s, p, d, c)
    g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(x.dtype)
    (y * lib.tensor(g)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_groups_equal_channels(name, dtype):
    real = pytest.importorskip("torch")
    xs, m, k, s, p, d = CASES[name]
    x = RNG.standard_normal(xs).astype(dtype)
    w = RNG.standard_normal((xs[1] * m, 1, k, k)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, b in zip(_torch_step(real, x, w, s, p, d), _torch_step(dg, x, w, s, p, d), strict=True):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def _tf_run(lib, x, w, strides, padding, dilations, pointwise=None):
    g = lib.Graph()
    with g.as_default():
        xt, wt = lib.constant(x), lib.constant(w)
        if pointwise is None:
            y = lib.nn.depthwise_conv2d(xt, wt, strides, padding, dilations=dilations)
            wrt = [xt, wt]
        else:
            pt = lib.constant(pointwise)
            y = lib.nn.separable_conv2d(xt, wt, pt, strides, padding, dilations=dilations)
            wrt = [xt, wt, pt]
        gy = np.random.default_rng(2).standard_normal([int(v) for v in y.shape]).astype(x.dtype)
        grads = lib.gradients(lib.reduce_sum(y * lib.constant(gy)), wrt)
        with lib.Session(graph=g) as sess:
            return sess.run([y, *grads])


TF_CASES = {
    "same": ((2, 7, 6, 3), (3, 3, 3, 2), [1, 1, 1, 1], "SAME", None),
    "valid_stride2": ((2, 9, 8, 4), (3, 3, 4, 1), [1, 2, 2, 1], "VALID", None),
    "same_dilated": ((1, 9, 9, 2), (3, 2, 2, 3), [1, 1, 1, 1], "SAME", [2, 2]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(TF_CASES))
def test_matches_tf_depthwise_conv2d(name, dtype):
    tf = pytest.importorskip("tensorflow").compat.v1
    xs, ws, st, pad, dl = TF_CASES[name]
    x, w = RNG.standard_normal(xs).astype(dtype), RNG.standard_normal(ws).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, b in zip(_tf_run(tf, x, w, st, pad, dl), _tf_run(dg_tf, x, w, st, pad, dl), strict=True):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def test_matches_tf_separable_conv2d():
    tf = pytest.importorskip("tensorflow").compat.v1
    x = RNG.standard_normal((2, 8, 8, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)
    pw = RNG.standard_normal((1, 1, 6, 4)).astype(np.float32)
    args = (x, w, [1, 1, 1, 1], "SAME", None, pw)
    for a, b in zip(_tf_run(tf, *args), _tf_run(dg_tf, *args), strict=True):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", list(CASES))
def test_eager_and_graph_agree_bitwise(name):
    xs, m, k, s, p, d = CASES[name]
    x = RNG.standard_normal(xs).astype(np.float32)
    w = RNG.standard_normal((xs[1] * m, 1, k, k)).astype(np.float32)
    ey, egx, egw = _torch_step(dg, x, w, s, p, d)
    # the same layer in TF's layout: NHWC data, (KH, KW, C, M) filter, explicit padding
    xn = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    wn = np.ascontiguousarray(w.reshape(xs[1], m, k, k).transpose(2, 3, 0, 1))
    g = dg_tf.Graph()
    with g.as_default():
        xt, wt = dg_tf.constant(xn), dg_tf.constant(wn)
        y = dg_tf.nn.depthwise_conv2d(
            xt, wt, [1, s, s, 1], [[0, 0], [p, p], [p, p], [0, 0]], dilations=[d, d]
        )
        gy = np.random.default_rng(1).standard_normal(tuple(ey.shape)).astype(np.float32)
        gyn = dg_tf.constant(np.ascontiguousarray(gy.transpose(0, 2, 3, 1)))
        grads = dg_tf.gradients(dg_tf.reduce_sum(y * gyn), [xt, wt])
        with dg_tf.Session(graph=g) as sess:
            gy_, gx, gw = sess.run([y, *grads])
    assert np.array_equal(gy_.transpose(0, 3, 1, 2), ey)
    assert np.array_equal(gx.transpose(0, 3, 1, 2), egx)
    assert np.array_equal(gw, egw.reshape(xs[1], m, k, k).transpose(2, 3, 0, 1))


def test_one_primitive_per_call_in_both_styles():
    g = dg_tf.Graph()
    with g.as_default():
        x = dg_tf.placeholder(dg_tf.float32, [None, 8, 8, 16])
        w = dg_tf.constant(np.ones((3, 3, 16, 1), np.float32))
        y = dg_tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
        dg_tf.gradients(dg_tf.reduce_sum(y), [x, w])
    types = [op.type for op in g.get_operations()]
    assert types.count("DepthwiseConv2dNative") == 1
    assert "Conv2D" not in types and "ConcatV2" not in types and "Concat" not in types
    seen = []
    from duograd.frontends.eager import dispatch

    def watch(prim, params, args, out):
        seen.append(prim.name)

    dispatch.add_observer(watch)
    try:
        xt = dg.ones(2, 16, 8, 8, requires_grad=True)
        dg.nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)(xt).sum().backward()
    finally:
        dispatch.remove_observer(watch)
    assert seen.count("depthwise_conv2d") == 1 and "conv2d" not in seen


def test_nchw_graph_layout_gives_the_same_bits():
    x = RNG.standard_normal((2, 6, 7, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)
    ynhwc = D.depthwise_conv2d(x, w, 1, "SAME", 1, "NHWC", "HWCM")
    ynchw = D.depthwise_conv2d(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), w, 1, "SAME", 1,
                               "NCHW", "HWCM")  # fmt: skip
    assert np.array_equal(ynchw.transpose(0, 2, 3, 1), ynhwc)


def test_bad_inputs_are_named():
    x = np.zeros((1, 4, 5, 5), np.float32)
    with pytest.raises(Exception, match="second dim must be 1"):
        D.depthwise_conv2d(x, np.zeros((8, 2, 3, 3), np.float32))
    with pytest.raises(Exception, match="not a multiple of the input's 4 channels"):
        D.depthwise_conv2d(x, np.zeros((6, 1, 3, 3), np.float32))
    with pytest.raises(Exception, match="filter's third dim must equal the input's channels"):
        D.depthwise_conv2d(x.transpose(0, 2, 3, 1), np.zeros((3, 3, 2, 1), np.float32), 1, 0, 1,
                           "NHWC", "HWCM")  # fmt: skip
    with pytest.raises(ValueError, match="filter_format must be 'OIHW'"):
        D.depthwise_conv2d(x, np.zeros((4, 1, 3, 3), np.float32), filter_format="HWIO")
    with pytest.raises(Exception, match="depthwise_conv2d"):
        D.depthwise_conv2d(x, np.zeros((4, 1, 7, 7), np.float32))  # window larger than input
