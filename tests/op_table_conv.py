"""Op-table rows of the convolution and pooling primitives (both layouts, strides, padding)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _r(rng, shape, dt):
    return rng.uniform(-1.0, 1.0, size=shape).astype(dt)


def _distinct(rng, shape, dt):
    """Values 1/7 apart in random order: no ties, so max pooling is differentiable."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / 7.0 - n / 14.0).astype(dt)


def _out(size, k, s, d, before, after):
    return (size + before + after - d * (k - 1) - 1) // s + 1


def _same(size, k, s, d):
    """TF's SAME padding, written out independently of the code under test."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


# (x shape as NCHW, filter (O, KH, KW), stride, padding, dilation, data_format, filter_format)
CONV_CASES = [
    ((2, 3, 5, 5), (4, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), "NCHW", "OIHW"),
    ((1, 2, 6, 5), (3, 3, 2), (2, 2), (0, 1, 1, 0), (1, 1), "NCHW", "OIHW"),
    ((2, 3, 6, 5), (2, 3, 3), (2, 1), "SAME", (1, 1), "NHWC", "HWIO"),
    ((1, 2, 7, 7), (3, 2, 2), (1, 1), (1, 1, 1, 1), (2, 2), "NHWC", "HWIO"),
    ((2, 2, 4, 4), (2, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), "NCHW", "HWIO"),
    ((1, 3, 5, 4), (2, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), "NHWC", "OIHW"),
]


def _conv_shapes(case):
    xs, (o, kh, kw), st, pad, dl, df, ff = case
    n, c, h, w = xs
    pads = pad
    if pad == "SAME":
        pads = _same(h, kh, st[0], dl[0]) + _same(w, kw, st[1], dl[1])
    oh = _out(h, kh, st[0], dl[0], pads[0], pads[1])
    ow = _out(w, kw, st[1], dl[1], pads[2], pads[3])
    x_shape = xs if df == "NCHW" else (n, h, w, c)
    w_shape = (o, c, kh, kw) if ff == "OIHW" else (kh, kw, c, o)
    y_shape = (n, o, oh, ow) if df == "NCHW" else (n, oh, ow, o)
    params = {"stride": st, "padding": pad, "dilation": dl, "data_format": df, "filter_format": ff}
    return x_shape, w_shape, y_shape, params


def _conv(rng, dt):
    out = []
    for case in CONV_CASES:
        xs, ws, _, p = _conv_shapes(case)
        out.append(Sample((_r(rng, xs, dt), _r(rng, ws, dt)), p))
    return out


def _conv_input_grad(rng, dt):
    out = []
    for case in CONV_CASES:
        xs, ws, ys, p = _conv_shapes(case)
        out.append(Sample((_r(rng, ys, dt), _r(rng, ws, dt), np.zeros(xs, dt)), p))
    return out


def _conv_filter_grad(rng, dt):
    out = []
    for case in CONV_CASES:
        xs, ws, ys, p = _conv_shapes(case)
        out.append(Sample((_r(rng, xs, dt), _r(rng, ys, dt), np.zeros(ws, dt)), p))
    return out


# (x shape as NCHW, window, stride, padding, data_format)
POOL_CASES = [
    ((2, 3, 4, 4), (2, 2), (2, 2), (0, 0, 0, 0), "NCHW"),
    ((1, 2, 5, 6), (3, 3), (2, 2), (1, 1, 1, 1), "NCHW"),
    ((2, 5, 5, 2), (3, 3), (1, 1), "SAME", "NHWC"),
    ((1, 2, 6, 5), (2, 3), (1, 2), (0, 1, 1, 0), "NHWC"),
    ((1, 2, 5, 5), (2, 2), (2, 2), "SAME", "NCHW"),
]


def _pool_shapes(case):
    xs, k, st, pad, df = case
    n, c, h, w = xs
    pads = pad
    if pad == "SAME":
        pads = _same(h, k[0], st[0], 1) + _same(w, k[1], st[1], 1)
    oh = _out(h, k[0], st[0], 1, pads[0], pads[1])
    ow = _out(w, k[1], st[1], 1, pads[2], pads[3])
    x_shape = xs if df == "NCHW" else (n, h, w, c)
    y_shape = (n, c, oh, ow) if df == "NCHW" else (n, oh, ow, c)
    return x_shape, y_shape, {"ksize": k, "stride": st, "padding": pad, "data_format": df}


def _max_pool(rng, dt):
    return [
        Sample((_distinct(rng, _pool_shapes(c)[0], dt),), _pool_shapes(c)[2]) for c in POOL_CASES
    ]


def _max_pool_grad(rng, dt):
    out = []
    for case in POOL_CASES:
        xs, ys, p = _pool_shapes(case)
        out.append(Sample((_distinct(rng, xs, dt), _r(rng, ys, dt)), p))
    return out


def _max_pool_pick(rng, dt):
    out = []
    for case in POOL_CASES:
        xs, _, p = _pool_shapes(case)
        out.append(Sample((_distinct(rng, xs, dt), _r(rng, xs, dt)), p))
    return out


def _avg_pool(rng, dt):
    out = []
    for i, case in enumerate(POOL_CASES):
        xs, _, p = _pool_shapes(case)
        out.append(Sample((_r(rng, xs, dt),), {**p, "count_include_pad": i % 2 == 0}))
    return out


def _avg_pool_grad(rng, dt):
    out = []
    for i, case in enumerate(POOL_CASES):
        xs, ys, p = _pool_shapes(case)
        params = {**p, "count_include_pad": i % 2 == 1}
        out.append(Sample((_r(rng, ys, dt), np.zeros(xs, dt)), params))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("conv2d", _conv, rtol32=1e-5),
    OpRow("conv2d_input_grad", _conv_input_grad, rtol32=1e-5),
    OpRow("conv2d_filter_grad", _conv_filter_grad, rtol32=1e-5),
    OpRow("max_pool2d", _max_pool),
    OpRow("max_pool2d_grad", _max_pool_grad),
    OpRow("max_pool2d_pick", _max_pool_pick),
    OpRow("avg_pool2d", _avg_pool),
    OpRow("avg_pool2d_grad", _avg_pool_grad),
]
