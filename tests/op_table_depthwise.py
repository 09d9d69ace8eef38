"""Op-table rows of the depthwise convolution primitives (both layouts, multipliers, strides,
padding, dilation)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _r(rng, shape, dt):
    return rng.uniform(-1.0, 1.0, size=shape).astype(dt)


def _out(size, k, s, d, before, after):
    return (size + before + after - d * (k - 1) - 1) // s + 1


# (x shape as NCHW, multiplier, (KH, KW), stride, padding, dilation, data_format, filter_format)
CASES = [
    ((2, 3, 5, 5), 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW"),
    ((1, 2, 6, 5), 2, (3, 2), (2, 1), (0, 1, 1, 0), (1, 1), "NHWC", "HWCM"),
    ((2, 3, 7, 7), 3, (2, 2), (1, 2), (1, 1, 0, 1), (2, 2), "NCHW", "HWCM"),
    ((1, 4, 4, 4), 1, (1, 1), (2, 2), (0, 0, 0, 0), (1, 1), "NHWC", "OIHW"),
]


def _shapes(case):
    (n, c, h, w), m, (kh, kw), st, pads, dl, df, ff = case
    oh = _out(h, kh, st[0], dl[0], pads[0], pads[1])
    ow = _out(w, kw, st[1], dl[1], pads[2], pads[3])
    x_shape = (n, c, h, w) if df == "NCHW" else (n, h, w, c)
    w_shape = (c * m, 1, kh, kw) if ff == "OIHW" else (kh, kw, c, m)
    y_shape = (n, c * m, oh, ow) if df == "NCHW" else (n, oh, ow, c * m)
    params = {"stride": st, "padding": pads, "dilation": dl, "data_format": df,
              "filter_format": ff}  # fmt: skip
    return x_shape, w_shape, y_shape, params


def _forward(rng, dt):
    out = []
    for case in CASES:
        xs, ws, _, p = _shapes(case)
        out.append(Sample((_r(rng, xs, dt), _r(rng, ws, dt)), p))
    return out


def _input_grad(rng, dt):
    out = []
    for case in CASES:
        xs, ws, ys, p = _shapes(case)
        out.append(Sample((_r(rng, ys, dt), _r(rng, ws, dt), np.zeros(xs, dt)), p))
    return out


def _filter_grad(rng, dt):
    out = []
    for case in CASES:
        xs, ws, ys, p = _shapes(case)
        out.append(Sample((_r(rng, xs, dt), _r(rng, ys, dt), np.zeros(ws, dt)), p))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("depthwise_conv2d", _forward, rtol32=1e-5),
    OpRow("depthwise_conv2d_input_grad", _input_grad, rtol32=1e-5),
    OpRow("depthwise_conv2d_filter_grad", _filter_grad, rtol32=1e-5),
]
