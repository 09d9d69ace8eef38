"""Grouped / depthwise convolution and conv3d: against PyTorch and TensorFlow (values and
gradients, float32 and float64), eager vs graph bit for bit, and a one-channel NCHW output that
must not live in the kernel's scratch buffer."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest
from duograd.core import ops

RNG = np.random.default_rng(33)

TORCH_CASES = {
    "groups2": (lambda L, x, w: L.nn.functional.conv2d(x, w, None, 1, 1, 1, 2), (2, 4, 6, 5),
                (6, 2, 3, 3)),
    "depthwise_stride2": (lambda L, x, w: L.nn.functional.conv2d(x, w, None, 2, 1, 1, 4),
                          (2, 4, 7, 6), (8, 1, 3, 3)),
    "conv1d_groups3": (lambda L, x, w: L.nn.functional.conv1d(x, w, None, 1, 1, 1, 3),
                       (2, 6, 9), (3, 2, 3)),
    "conv3d_pad": (lambda L, x, w: L.nn.functional.conv3d(x, w, None, 1, 1), (2, 3, 5, 6, 4),
                   (4, 3, 3, 3, 2)),
    "conv3d_stride_dilation": (
        lambda L, x, w: L.nn.functional.conv3d(x, w, None, (2, 1, 2), (1, 0, 2), (1, 2, 1)),
        (2, 3, 7, 8, 6), (4, 3, 3, 2, 3)),
}  # fmt: skip


def _run(lib, fn, x, w):
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    y = fn(lib, xt, wt)
    g = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(x.dtype)
    (y * lib.tensor(g)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_torch(name, dtype):
    real = pytest.importorskip("torch")
    fn, xs, ws = TORCH_CASES[name]
    x, w = RNG.standard_normal(xs).astype(dtype), RNG.standard_normal(ws).astype(dtype)
    for a, b in zip(_run(real, fn, x, w), _run(dg, fn, x, w), strict=True):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "cls, args, shape",
    [("Conv2d", (4, 8, 3), (8, 2, 3, 3)), ("Conv1d", (6, 9, 3), (9, 2, 3)),
     ("Conv3d", (2, 5, (1, 2, 3)), (5, 2, 1, 2, 3))],
)  # fmt: skip
def test_modules_take_groups_and_shape_weights_as_torch(cls, args, shape):
    groups = 1 if cls == "Conv3d" else args[0] // 2
    kw = {"groups": groups} if groups != 1 else {}
    m = getattr(dg.nn, cls)(*args, **kw)
    assert tuple(m.weight.shape) == shape
    real = pytest.importorskip("torch")
    assert tuple(getattr(real.nn, cls)(*args, **kw).weight.shape) == shape


def test_bad_groups_are_named():
    with pytest.raises(ValueError, match="groups=3"):
        dg.nn.Conv2d(4, 8, 3, groups=3)
    with pytest.raises(ValueError, match="groups=2"):
        dg.nn.functional.conv2d(dg.zeros(1, 4, 5, 5), dg.zeros(6, 1, 3, 3), groups=2)


def _tf_conv3d(lib, x, w, strides, padding, dilations):
    g = lib.Graph()
    with g.as_default():
        xt, wt = lib.constant(x), lib.constant(w)
        y = lib.nn.conv3d(xt, wt, strides, padding, dilations=dilations)
        gy = lib.constant(np.random.default_rng(2).standard_normal(
            [int(d) for d in y.shape]).astype(x.dtype))  # fmt: skip
        grads = lib.gradients(lib.reduce_sum(y * gy), [xt, wt])
        with lib.Session(graph=g) as sess:
            return sess.run([y, *grads])


# (TF's CPU kernels reject gradients of a dilated conv3d, so dilation is checked against torch)
@pytest.mark.parametrize(
    "strides, padding, dilations",
    [([1, 1, 1, 1, 1], "SAME", [1, 1, 1, 1, 1]), ([1, 2, 1, 2, 1], "VALID", [1, 1, 1, 1, 1]),
     ([1, 2, 2, 1, 1], "SAME", [1, 1, 1, 1, 1])],
)  # fmt: skip
def test_tf_conv3d_matches_tensorflow(strides, padding, dilations):
    tf = pytest.importorskip("tensorflow")
    v1 = tf.compat.v1
    v1.disable_eager_execution()
    x = RNG.standard_normal((2, 6, 7, 5, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 3, 3, 4)).astype(np.float32)
    want = _tf_conv3d(v1, x, w, strides, padding, dilations)
    got = _tf_conv3d(dg_tf, x, w, strides, padding, dilations)
    for a, b in zip(want, got, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-4)


def test_conv3d_eager_and_graph_are_bitwise_equal():
    x = RNG.standard_normal((2, 3, 5, 6, 4)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3, 2, 3)).astype(np.float32)
    want = _run(dg, lambda L, a, b: L.nn.functional.conv3d(a, b, None, (2, 1, 1), 1), x, w)
    g = np.random.default_rng(1).standard_normal(want[0].shape).astype(np.float32)
    with dg_tf.Graph().as_default():
        xt = dg_tf.constant(x.transpose(0, 2, 3, 4, 1))
        wt = dg_tf.constant(w.transpose(2, 3, 4, 1, 0))
        xp = dg_tf.pad(xt, [[0, 0], [1, 1], [1, 1], [1, 1], [0, 0]])
        y = dg_tf.nn.conv3d(xp, wt, [1, 2, 1, 1, 1], "VALID")
        gy = dg_tf.constant(g.transpose(0, 2, 3, 4, 1))
        grads = dg_tf.gradients(dg_tf.reduce_sum(y * gy), [xt, wt])
        with dg_tf.Session() as sess:
            got = sess.run([y, *grads])
    assert want[0].tobytes() == np.ascontiguousarray(got[0].transpose(0, 4, 1, 2, 3)).tobytes()
    assert want[2].tobytes() == np.ascontiguousarray(got[2].transpose(4, 3, 0, 1, 2)).tobytes()


def test_one_channel_nchw_outputs_are_fresh_arrays():
    x = RNG.standard_normal((2, 4, 1, 9)).astype(np.float32)
    w = RNG.standard_normal((2, 2, 1, 3)).astype(np.float32)
    a = ops.conv2d(x[:, :2], w[:1], 1, (0, 1), 1, "NCHW", "OIHW")
    b = ops.conv2d(x[:, 2:], w[1:], 1, (0, 1), 1, "NCHW", "OIHW")
    assert not np.shares_memory(a, b)
    want = ops.conv2d(np.ascontiguousarray(x[:, :2]), w[:1], 1, (0, 1), 1, "NCHW", "OIHW")
    assert a.tobytes() == want.tobytes()
