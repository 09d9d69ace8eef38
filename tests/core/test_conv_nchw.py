"""NCHW convolution without layout copies: the patch matrix is gathered from NCHW data and the
products are written straight into NCHW outputs, with the same bits as the NHWC path."""

from __future__ import annotations

import numpy as np
import pytest
from duograd.core.kernels import conv as K
from duograd.core.kernels import matmul as MM

RNG = np.random.default_rng(4)

# (N, C, H, W), O, (KH, KW), stride, padding (top, bottom, left, right), dilation
CASES = {
    "3x3": ((4, 3, 9, 8), 5, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    "3x3_stride2": ((3, 4, 10, 10), 6, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),
    "1x1": ((2, 5, 7, 7), 4, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1)),
    "1x1_stride2": ((2, 5, 8, 8), 4, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1)),
    "dilated": ((2, 3, 9, 9), 4, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),
    "uneven": ((5, 2, 6, 7), 3, (2, 3), (2, 1), (0, 1, 1, 0), (1, 2)),
    "many_blocks": ((40, 16, 16, 16), 8, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
}


def _nhwc(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_nchw_gives_the_nhwc_bits_without_layout_copies(case, dtype, monkeypatch):
    shape, o, (kh, kw), st, pad, dl = CASES[case]
    x = RNG.standard_normal(shape).astype(dtype)
    w = RNG.standard_normal((o, shape[1], kh, kw)).astype(dtype)
    yn = K.conv2d(_nhwc(x), w, st, pad, dl, "NHWC", "OIHW")
    g = RNG.standard_normal(yn.shape).astype(dtype)
    dxn = K.conv2d_input_grad(g, w, _nhwc(x).shape, st, pad, dl, "NHWC", "OIHW")
    dwn = K.conv2d_filter_grad(_nhwc(x), g, w.shape, st, pad, dl, "NHWC", "OIHW")
    g_nchw = np.ascontiguousarray(g.transpose(0, 3, 1, 2))

    def refuse(*a, **k):
        raise AssertionError("an NCHW convolution copied its data to NHWC")

    monkeypatch.setattr(K, "NCHW_ROUTE", "native")
    monkeypatch.setattr(K, "to_nhwc", refuse)
    monkeypatch.setattr(K, "from_nhwc", refuse)
    y = K.conv2d(x, w, st, pad, dl, "NCHW", "OIHW")
    dx = K.conv2d_input_grad(g_nchw, w, x.shape, st, pad, dl, "NCHW", "OIHW")
    dw = K.conv2d_filter_grad(x, g_nchw, w.shape, st, pad, dl, "NCHW", "OIHW")
    np.testing.assert_array_equal(_nhwc(y), yn)
    np.testing.assert_array_equal(_nhwc(dx), dxn)
    np.testing.assert_array_equal(dw, dwn)


def test_nchw_writes_into_a_given_output():
    x = RNG.standard_normal((3, 4, 6, 6)).astype(np.float32)
    w = RNG.standard_normal((5, 4, 3, 3)).astype(np.float32)
    want = K.conv2d(x, w, (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW")
    out = np.full(want.shape, np.nan, np.float32)
    got = K.conv2d(x, w, (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW", out=out)
    assert got is out
    np.testing.assert_array_equal(out, want)
    g = RNG.standard_normal(want.shape).astype(np.float32)
    dx_want = K.conv2d_input_grad(g, w, x.shape, (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW")
    dx_out = np.full(x.shape, np.nan, np.float32)
    K.conv2d_input_grad(g, w, x.shape, (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW", out=dx_out)
    np.testing.assert_array_equal(dx_out, dx_want)


@pytest.mark.parametrize("case", list(CASES))
def test_both_nchw_routes_give_the_same_bits(case, monkeypatch):
    """NCHW data through the NHWC kernels (layout copies), in place, and by the per-direction
    choice (at any size here): identical results."""
    shape, o, (kh, kw), st, pad, dl = CASES[case]
    x = RNG.standard_normal(shape).astype(np.float32)
    w = RNG.standard_normal((o, shape[1], kh, kw)).astype(np.float32)
    got = {}
    monkeypatch.setattr(K, "AUTO_MIN", 0)
    for route in ("native", "nhwc", "auto"):
        monkeypatch.setattr(K, "NCHW_ROUTE", route)
        y = K.conv2d(x, w, st, pad, dl, "NCHW", "OIHW")
        g = np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape)
        dx = K.conv2d_input_grad(g, w, x.shape, st, pad, dl, "NCHW", "OIHW")
        dw = K.conv2d_filter_grad(x, g, w.shape, st, pad, dl, "NCHW", "OIHW")
        got[route] = (y, dx, dw)
    for route in ("nhwc", "auto"):
        for a, b in zip(got["native"], got[route], strict=True):
            np.testing.assert_array_equal(a, b)


def test_an_unknown_route_is_refused(monkeypatch):
    monkeypatch.setattr(K, "NCHW_ROUTE", "sideways")
    x = np.zeros((1, 2, 4, 4), np.float32)
    with pytest.raises(ValueError, match="NCHW_ROUTE"):
        K.conv2d(x, np.zeros((3, 2, 3, 3), np.float32), (1, 1), (1, 1, 1, 1), (1, 1), "NCHW",
                 "OIHW")  # fmt: skip


@pytest.mark.parametrize(
    "shape, k, stride, direction, native",
    [
        ((128, 16, 32, 32), 3, 1, "forward", "mr8"),  # 8-row channel groups: in place
        ((128, 64, 8, 8), 3, 1, "forward", "mr8"),
        ((128, 16, 32, 32), 3, 1, "filter_grad", True),  # rows at least 16 wide
        ((128, 16, 32, 32), 3, 1, "input_grad", True),
        ((128, 32, 16, 16), 3, 1, "input_grad", True),
        ((128, 64, 8, 8), 3, 1, "input_grad", False),  # 8-wide rows: copies are cheaper
        ((128, 64, 8, 8), 3, 1, "filter_grad", False),
        ((128, 16, 32, 32), 3, 2, "filter_grad", True),  # strided: a quarter of the pixels
        ((128, 32, 16, 16), 3, 2, "input_grad", True),
        ((128, 16, 32, 32), 3, 2, "forward", "mr8"),
        ((128, 32, 16, 16), 1, 2, "forward", True),  # 1x1
        ((128, 3, 32, 32), 3, 1, "forward", True),  # the stem's three channels
        ((1, 16, 32, 32), 1, 2, "forward", False),  # one image: copies are cheap
    ],
)
def test_auto_route_picks_by_direction_and_geometry(shape, k, stride, direction, native):
    """("mr8": in place exactly when the tile has 8 rows, as AVX-512's; AVX2's has 6.)"""
    vec, _, _ = K.geometry(shape, (k, k), (stride, stride), (k // 2,) * 4, (1, 1))
    if native == "mr8":
        native = MM._MR[4] >= 8 and not MM._JIT_OFF
    assert K._auto_native(vec, direction, shape[0], shape[1]) is native  # O = C in these rows
