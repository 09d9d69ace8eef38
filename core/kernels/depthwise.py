"""Depthwise 2-D convolution kernels (forward, input gradient, filter gradient) in one pass each.

Each input channel c is convolved with its own M filters; output channel c * M + m holds filter
m of channel c (TF's depthwise_conv2d order, and PyTorch's groups=C order). The loops run on
NHWC data (NCHW operands are transposed on the way in and out, as in kernels/conv) with the
filter as (KH, KW, C, M), so every layout gives the same bits. Summation orders are fixed:

* forward: each output element adds its taps in (kh, kw) order, starting from zero;
* input gradient: each input element adds its taps in (kh, kw) order, then m in order;
* filter gradient: each filter element adds the products over (n, oh, ow) in that order.

Padded taps are skipped (they add nothing). Parallel loops split over output rows, images or
filter taps, never over a sum.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from . import conv as CK

__all__ = ["depthwise_conv2d", "depthwise_filter_grad", "depthwise_input_grad", "filter_hwcm"]

_C, _H, _W, _OH, _OW, _KH, _KW, _SH, _SW, _PT, _PL, _DH, _DW, _SPANS = range(14)


@njit(cache=True, error_model="numpy")
def _forward_row(x, w, g, y, t, m_count, zero):
    """Output row t = n * OH + oh: every (ow, c, m)."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH]
    SW = g[_SW]
    CM = C * m_count
    n = t // OH
    oh = t - n * OH
    base = t * OW * CM
    for i in range(OW * CM):
        y[uint64(base + i)] = zero
    for kh in range(KH):
        ih = oh * SH - PT + kh * DH
        if ih < 0 or ih >= H:
            continue
        for kw in range(KW):
            b = _SPANS + 3 * kw
            lo, hi, off = g[b], g[b + 1], g[b + 2]
            wrow = (kh * KW + kw) * CM
            for ow in range(lo, hi):
                src = ((n * H + ih) * W + ow * SW + off) * C
                dst = base + ow * CM
                if m_count == 1:
                    for c in range(C):
                        y[uint64(dst + c)] += x[uint64(src + c)] * w[uint64(wrow + c)]
                else:
                    for c in range(C):
                        xv = x[uint64(src + c)]
                        for m in range(m_count):
                            j = c * m_count + m
                            y[uint64(dst + j)] += xv * w[uint64(wrow + j)]


@njit(cache=True, error_model="numpy")
def _input_grad_image(gy, w, g, dx, n, m_count, zero):
    """Input gradient of image n."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH]
    SW = g[_SW]
    CM = C * m_count
    base = n * H * W * C
    for i in range(H * W * C):
        dx[uint64(base + i)] = zero
    for kh in range(KH):
        for kw in range(KW):
            b = _SPANS + 3 * kw
            lo, hi, off = g[b], g[b + 1], g[b + 2]
            wrow = (kh * KW + kw) * CM
            for oh in range(OH):
                ih = oh * SH - PT + kh * DH
                if ih < 0 or ih >= H:
                    continue
                for ow in range(lo, hi):
                    src = ((n * OH + oh) * OW + ow) * CM
                    dst = base + (ih * W + ow * SW + off) * C
                    if m_count == 1:
                        for c in range(C):
                            dx[uint64(dst + c)] += gy[uint64(src + c)] * w[uint64(wrow + c)]
                    else:
                        for c in range(C):
                            acc = dx[uint64(dst + c)]
                            for m in range(m_count):
                                j = c * m_count + m
                                acc += gy[uint64(src + j)] * w[uint64(wrow + j)]
                            dx[uint64(dst + c)] = acc


@njit(cache=True, error_model="numpy")
def _filter_grad_tap(x, gy, g, dw, tap, n_count, m_count, zero):
    """Filter gradient of tap (kh, kw) = divmod(tap, KW): a sum over (n, oh, ow) in order."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KW, SH, PT, DH, SW = g[_KW], g[_SH], g[_PT], g[_DH], g[_SW]
    CM = C * m_count
    kh = tap // KW
    kw = tap - kh * KW
    b = _SPANS + 3 * kw
    lo, hi, off = g[b], g[b + 1], g[b + 2]
    row = tap * CM
    for j in range(CM):
        dw[uint64(row + j)] = zero
    for n in range(n_count):
        for oh in range(OH):
            ih = oh * SH - PT + kh * DH
            if ih < 0 or ih >= H:
                continue
            for ow in range(lo, hi):
                src = ((n * H + ih) * W + ow * SW + off) * C
                gs = ((n * OH + oh) * OW + ow) * CM
                if m_count == 1:
                    for c in range(C):
                        dw[uint64(row + c)] += x[uint64(src + c)] * gy[uint64(gs + c)]
                else:
                    for c in range(C):
                        xv = x[uint64(src + c)]
                        for m in range(m_count):
                            j = c * m_count + m
                            dw[uint64(row + j)] += xv * gy[uint64(gs + j)]


@njit(cache=True)
def _forward_serial(x, w, g, y, tasks, m_count, zero):
    for t in range(tasks):
        _forward_row(x, w, g, y, t, m_count, zero)


@njit(cache=True, parallel=True)
def _forward_parallel(x, w, g, y, tasks, m_count, zero):
    for t in prange(tasks):
        _forward_row(x, w, g, y, np.int64(t), m_count, zero)


@njit(cache=True)
def _input_grad_serial(gy, w, g, dx, tasks, m_count, zero):
    for n in range(tasks):
        _input_grad_image(gy, w, g, dx, n, m_count, zero)


@njit(cache=True, parallel=True)
def _input_grad_parallel(gy, w, g, dx, tasks, m_count, zero):
    for n in prange(tasks):
        _input_grad_image(gy, w, g, dx, np.int64(n), m_count, zero)


@njit(cache=True)
def _filter_grad_serial(x, gy, g, dw, tasks, n_count, m_count, zero):
    for t in range(tasks):
        _filter_grad_tap(x, gy, g, dw, t, n_count, m_count, zero)


@njit(cache=True, parallel=True)
def _filter_grad_parallel(x, gy, g, dw, tasks, n_count, m_count, zero):
    for t in prange(tasks):
        _filter_grad_tap(x, gy, g, dw, np.int64(t), n_count, m_count, zero)


def _parallel(work: int, tasks: int) -> bool:
    return work >= CK.PARALLEL_MIN and tasks > 1


def filter_hwcm(w: np.ndarray, filter_format: str, channels: int) -> np.ndarray:
    """The filter as a C-contiguous (KH, KW, C, M) array (PyTorch's (C*M, 1, KH, KW) reordered)."""
    if filter_format == "HWCM":
        return np.ascontiguousarray(w)
    cm, _, kh, kw = w.shape
    m = cm // channels
    return np.ascontiguousarray(w.reshape(channels, m, kh, kw).transpose(2, 3, 0, 1))


def _shapes(x_shape, w_shape, data_format, filter_format):
    """(N, C, H, W), (KH, KW), M of a depthwise call."""
    n, c, h, wd = CK.nchw(tuple(x_shape), data_format)
    if filter_format == "HWCM":
        kh, kw, _, m = w_shape
    else:
        cm, _, kh, kw = w_shape
        m = cm // c
    return (n, c, h, wd), (kh, kw), m


def depthwise_conv2d(x, w, stride, padding, dilation, data_format, filter_format) -> np.ndarray:
    """Depthwise cross-correlation; output (N, C*M, OH, OW) or (N, OH, OW, C*M)."""
    xs, k_hw, m = _shapes(x.shape, w.shape, data_format, filter_format)
    n, c = xs[0], xs[1]
    vec, oh, ow = CK.geometry(xs, k_hw, stride, padding, dilation, "depthwise_conv2d")
    xn = CK.to_nhwc(x, data_format, "x")
    wk = filter_hwcm(w, filter_format, c)
    y = np.empty((n, oh, ow, c * m), xn.dtype)
    tasks = n * oh
    if y.size:
        run = _forward_parallel if _parallel(y.size, tasks) else _forward_serial
        run(CK.readonly(xn), CK.readonly(wk), vec, y.reshape(-1), tasks, m, y.dtype.type(0))
    return CK.from_nhwc(y, data_format)


def depthwise_input_grad(
    gy, w, x_shape, stride, padding, dilation, data_format, filter_format
) -> np.ndarray:
    """The gradient of depthwise_conv2d w.r.t. its input, shaped x_shape."""
    xs, k_hw, m = _shapes(x_shape, w.shape, data_format, filter_format)
    n, c, h, wd = xs
    vec, _, _ = CK.geometry(xs, k_hw, stride, padding, dilation, "depthwise_conv2d")
    gn = CK.to_nhwc(gy, data_format, "g")
    wk = filter_hwcm(w, filter_format, c)
    dx = np.empty((n, h, wd, c), gy.dtype)
    if dx.size:
        run = _input_grad_parallel if _parallel(dx.size, n) else _input_grad_serial
        run(CK.readonly(gn), CK.readonly(wk), vec, dx.reshape(-1), n, m, dx.dtype.type(0))
    return CK.from_nhwc(dx, data_format)


def depthwise_filter_grad(
    x, gy, w_shape, stride, padding, dilation, data_format, filter_format
) -> np.ndarray:
    """The gradient of depthwise_conv2d w.r.t. its filter, shaped w_shape."""
    xs, (kh, kw), m = _shapes(x.shape, w_shape, data_format, filter_format)
    n, c = xs[0], xs[1]
    vec, _, _ = CK.geometry(xs, (kh, kw), stride, padding, dilation, "depthwise_conv2d")
    xn = CK.to_nhwc(x, data_format, "x")
    gn = CK.to_nhwc(gy, data_format, "g")
    dw = np.empty((kh, kw, c, m), x.dtype)
    taps = kh * kw
    if dw.size:
        work = gn.size * taps
        run = _filter_grad_parallel if _parallel(work, taps) else _filter_grad_serial
        run(CK.readonly(xn), CK.readonly(gn), vec, dw.reshape(-1), taps, n, m, dw.dtype.type(0))
    if filter_format == "HWCM":
        return dw
    return np.ascontiguousarray(dw.transpose(2, 3, 0, 1)).reshape(tuple(w_shape))
