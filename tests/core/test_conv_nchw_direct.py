"""NCHW convolutions in place, at random geometries: the channel-group forward product, the
one-copy-per-tap im2col of unit-stride "same" layers and the padded filter-gradient rows give
exactly the NHWC path's bits, serial and threaded, float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import conv as K
from duograd.core.kernels import conv_nchw as CN
from duograd.core.kernels import conv_nchw_product as P
from duograd.core.kernels import matmul as MM


def _nhwc(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def _random_case(rng: np.random.Generator) -> tuple:
    """(x shape NCHW, O, (KH, KW), stride, padding, dilation), often a "same" unit-stride one."""
    kh, kw = (int(v) for v in rng.integers(1, 6, 2))
    dil = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    if rng.random() < 0.5:  # unit stride, output as large as the input (maybe uneven pads)
        st = (1, 1)
        th, tw = (kh - 1) * dil[0], (kw - 1) * dil[1]
        top, left = int(rng.integers(0, th + 1)), int(rng.integers(0, tw + 1))
        pad = (top, th - top, left, tw - left)
    else:
        st = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        pad = tuple(int(v) for v in rng.integers(0, 3, 4))
    c = int(rng.choice([1, 2, 3, 5, 16, 31]))
    o = int(rng.choice([1, 3, 4, 5, 6, 7, 8, 11, 12, 16, 18, 24, 32]))
    h = int(rng.integers((kh - 1) * dil[0] + 1, 14))
    w = int(rng.integers((kw - 1) * dil[1] + 1, 14))
    n = int(rng.integers(1, 5))
    return (n, c, h, w), o, (kh, kw), st, pad, dil


def _check(case, dtype, rng, monkeypatch):
    shape, o, (kh, kw), st, pad, dl = case
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((o, shape[1], kh, kw)).astype(dtype)
    yn = K.conv2d(_nhwc(x), w, st, pad, dl, "NHWC", "OIHW")
    g = rng.standard_normal(yn.shape).astype(dtype)
    dxn = K.conv2d_input_grad(g, w, _nhwc(x).shape, st, pad, dl, "NHWC", "OIHW")
    dwn = K.conv2d_filter_grad(_nhwc(x), g, w.shape, st, pad, dl, "NHWC", "OIHW")
    g_nchw = np.ascontiguousarray(g.transpose(0, 3, 1, 2))

    def refuse(*a, **k):
        raise AssertionError("an NCHW convolution copied its data to NHWC")

    with monkeypatch.context() as m:
        m.setattr(K, "NCHW_ROUTE", "native")
        m.setattr(K, "to_nhwc", refuse)
        m.setattr(K, "from_nhwc", refuse)
        y = K.conv2d(x, w, st, pad, dl, "NCHW", "OIHW")
        dx = K.conv2d_input_grad(g_nchw, w, x.shape, st, pad, dl, "NCHW", "OIHW")
        dw = K.conv2d_filter_grad(x, g_nchw, w.shape, st, pad, dl, "NCHW", "OIHW")
    assert np.array_equal(_nhwc(y), yn, equal_nan=True), case
    assert np.array_equal(_nhwc(dx), dxn, equal_nan=True), case
    assert np.array_equal(dw, dwn, equal_nan=True), case


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(4))
def test_random_geometries_give_the_nhwc_bits(seed, dtype, monkeypatch):
    rng = np.random.default_rng(1000 + seed)
    for _ in range(12):
        _check(_random_case(rng), dtype, rng, monkeypatch)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_loops_and_products_give_the_nhwc_bits(dtype, parallel_threads, monkeypatch):
    """Every loop and product on its parallel driver (thresholds at zero), two threads."""
    monkeypatch.setattr(K, "PARALLEL_MIN", 0)
    monkeypatch.setattr(CN, "PARALLEL_MIN", 0)
    monkeypatch.setattr(MM, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(P, "_cpu_threads", lambda: 2)
    rng = np.random.default_rng(77)
    for _ in range(10):
        _check(_random_case(rng), dtype, rng, monkeypatch)
    # ResNet-like layers: K past one 256-long k block, many images per block
    for case in [
        ((6, 32, 16, 16), 32, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
        ((3, 40, 8, 8), 64, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
        ((5, 16, 12, 12), 16, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),
    ]:
        _check(case, dtype, rng, monkeypatch)


@pytest.mark.parametrize(
    "o, itemsize, mr, group",
    [(16, 4, 8, 8), (16, 4, 6, 4), (18, 4, 6, 6), (12, 8, 8, 6), (7, 4, 8, 7), (11, 4, 8, 0),
     (3, 4, 8, 0), (64, 4, 6, 4)],
)  # fmt: skip
def test_channel_group_is_the_largest_divisor_up_to_mr(o, itemsize, mr, group, monkeypatch):
    monkeypatch.setitem(MM._MR, itemsize, mr)
    monkeypatch.setattr(MM, "_JIT_OFF", False)
    assert P.channel_group(o, itemsize) == group


@pytest.mark.parametrize("direct", [True, False])
def test_the_forward_gives_the_same_bits_with_and_without_channel_groups(direct, monkeypatch):
    """The channel-group product against the packed one, output channels without (11) and with
    (24) a divisor up to MR, K past one k block (C = 30, 3x3: 270 taps)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 30, 9, 10)).astype(np.float32)
    monkeypatch.setattr(K, "NCHW_ROUTE", "native")
    for o in (11, 24):
        w = rng.standard_normal((o, 30, 3, 3)).astype(np.float32)
        monkeypatch.setattr(K, "DIRECT_FORWARD", direct)
        got = K.conv2d(x, w, (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW")
        want = K.conv2d(_nhwc(x), w, (1, 1), (1, 1, 1, 1), (1, 1), "NHWC", "OIHW")
        np.testing.assert_array_equal(_nhwc(got), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_padded_patch_rows_of_the_filter_gradient_give_the_nhwc_bits(dtype, monkeypatch):
    """16x16 images: a block's pixel count times the item size is a multiple of 2 KiB, so the
    patch rows are padded apart; the result is still the NHWC path's."""
    rng = np.random.default_rng(9)
    case = ((4, 8, 16, 16), 16, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    _check(case, dtype, rng, monkeypatch)


def test_same_im2col_zeroes_what_the_long_copy_overfills():
    """The one-copy-per-tap im2col against the per-channel loops, on data without zeros, with
    the patch buffer pre-filled with NaN so that any element left unwritten shows."""
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 2, (2, 3, 5, 6)).astype(np.float32)
    vec, oh, ow = K.geometry(x.shape, (3, 4), (1, 1), (2, 0, 1, 2), (1, 1))
    assert (oh, ow) == (5, 6)
    k, rows = 3 * 4 * 3, oh * ow
    same = np.full((2, k, rows), np.nan, np.float32)
    CN.im2col(x, vec, same, per_image=True)
    per_channel = np.full((k, 2 * rows + 16), np.nan, np.float32)  # padded rows: the old loops
    CN.im2col(x, vec, per_channel, per_image=False)
    want = per_channel[:, : 2 * rows].reshape(k, 2, rows).transpose(1, 0, 2)
    np.testing.assert_array_equal(same, want)
    assert not np.isnan(same).any()
