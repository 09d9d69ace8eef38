"""Adaptive pooling and ceil-mode pooling against PyTorch (values and input gradients), and
AdaptiveAvgPool2d(1) against the graph frontend's reduce_mean over H and W, bit for bit."""

from __future__ import annotations

import duograd.frontends.eager as dg
import duograd.frontends.graph as dg_tf
import numpy as np
import pytest

RNG = np.random.default_rng(5)

CASES = {
    "avg2d_global": (lambda L, x: L.nn.AdaptiveAvgPool2d(1)(x), (2, 3, 7, 5)),
    "avg2d_uneven": (lambda L, x: L.nn.AdaptiveAvgPool2d((3, 2))(x), (2, 3, 7, 5)),
    "avg2d_even": (lambda L, x: L.nn.AdaptiveAvgPool2d((4, 2))(x), (2, 3, 8, 6)),
    "avg2d_none": (lambda L, x: L.nn.AdaptiveAvgPool2d((None, 2))(x), (2, 3, 8, 5)),
    "avg2d_unbatched": (lambda L, x: L.nn.AdaptiveAvgPool2d(3)(x), (3, 7, 5)),
    "avg2d_upsample": (lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, (5, 7)), (1, 2, 3, 4)),
    "avg1d": (lambda L, x: L.nn.AdaptiveAvgPool1d(3)(x), (2, 3, 7)),
    "max2d_uneven": (lambda L, x: L.nn.AdaptiveMaxPool2d((3, 2))(x), (2, 3, 7, 5)),
    "max2d_even": (lambda L, x: L.nn.AdaptiveMaxPool2d(2)(x), (2, 3, 8, 6)),
    "max1d": (lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 4), (2, 3, 9)),
    "avg_ceil": (lambda L, x: L.nn.AvgPool2d(3, 2, ceil_mode=True)(x), (2, 3, 8, 7)),
    "avg_ceil_pad": (lambda L, x: L.nn.AvgPool2d(3, 2, 1, ceil_mode=True)(x), (2, 3, 8, 7)),
    "avg_ceil_pad_exclude": (
        lambda L, x: L.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)(x),
        (2, 3, 8, 7),
    ),
    "max_ceil": (lambda L, x: L.nn.MaxPool2d(3, 2, ceil_mode=True)(x), (2, 3, 8, 7)),
    "max_ceil_pad": (lambda L, x: L.nn.MaxPool2d(2, 2, 1, ceil_mode=True)(x), (2, 3, 5, 6)),
    "avg1d_ceil": (lambda L, x: L.nn.AvgPool1d(3, 2, 1, ceil_mode=True)(x), (2, 3, 8)),
}


def _run(lib, fn, x, dtype):
    xt = lib.tensor(x.astype(dtype), requires_grad=True)
    y = fn(lib, xt)
    w = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype)
    (y * lib.tensor(w)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, dtype):
    real = pytest.importorskip("torch")
    fn, shape = CASES[name]
    x = RNG.standard_normal(shape)
    want, got = _run(real, fn, x, dtype), _run(dg, fn, x, dtype)
    for a, b in zip(want, got, strict=True):
        assert b.shape == a.shape and b.dtype == a.dtype
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_global_average_pool_is_bitwise_equal_to_graph_reduce_mean():
    x = RNG.standard_normal((3, 5, 6, 7)).astype(np.float32)
    want = dg.nn.AdaptiveAvgPool2d(1)(dg.tensor(x)).numpy()
    with dg_tf.Graph().as_default():
        y = dg_tf.reduce_mean(dg_tf.constant(x.transpose(0, 2, 3, 1)), [1, 2])
        with dg_tf.Session() as sess:
            got = sess.run(y)
    assert want.reshape(3, 5).tobytes() == got.tobytes()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: dg.nn.functional.adaptive_avg_pool2d(dg.zeros(2, 3), 1), "adaptive_avg_pool2d"),
        (lambda: dg.nn.AdaptiveAvgPool2d((1, 2, 3))(dg.zeros(1, 2, 3, 4)), "output_size"),
        (lambda: dg.nn.AdaptiveMaxPool2d(0)(dg.zeros(1, 2, 3, 4)), "positive"),
    ],
)
def test_bad_arguments_name_the_op(make, message):
    with pytest.raises((ValueError, NotImplementedError), match=message):
        make()
