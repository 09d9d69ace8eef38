"""2-D max and average pooling kernels and their gradients, for NCHW and NHWC data.

Every output element scans its window in (kh, kw) order; gradients are accumulated per image
in a fixed order ((oh, ow) for max pooling's scatter, (kh, kw) for average pooling's). The loops
run on NHWC data (NCHW operands are transposed in and results back out, cheap copies), so the
layout changes where numbers are stored, never the sequence of operations on them: NCHW and
NHWC give bit-identical results.

Max pooling pads with -inf (padding never wins) and routes the gradient of a window to its
first maximum in scan order (row by row, then column by column); a NaN wins over numbers and
the first NaN is kept. This is the rule of PyTorch's and TF's CPU kernels.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from . import conv_geometry as geo
from .conv import from_nhwc, readonly, to_nhwc, workspace

__all__ = ["avg_pool2d", "avg_pool2d_grad", "max_pool2d", "max_pool2d_grad", "max_pool2d_pick"]

PARALLEL_MIN = 1 << 15  # elements written; below it the serial loops run

# Indices into the int64 geometry vector.
_C, _H, _W, _OH, _OW, _KH, _KW, _SH, _SW, _PT, _PL, _PB, _PR = range(13)
_XS = 13  # input strides (n, c, h, w) in elements
_OS = 17  # output strides (n, c, h, w) in elements
_INCL = 21  # average pooling: count padded positions in the divisor (PyTorch's default)


# Loops keep the channel innermost (contiguous in NHWC) and index with uint64 (never negative),
# which lets numba skip negative-index handling. Each output element still sees its window in
# (kh, kw) order, so the layout does not change any result.


@njit(cache=True, error_model="numpy")
def _taps(g, oh, ow):
    """The window's real rows [h0, h1) and columns [w0, w1) in input coordinates."""
    ih0 = oh * g[_SH] - g[_PT]
    iw0 = ow * g[_SW] - g[_PL]
    return max(ih0, 0), min(ih0 + g[_KH], g[_H]), max(iw0, 0), min(iw0 + g[_KW], g[_W])


@njit(cache=True, error_model="numpy")
def _argmax(x, g, n, oh, ow, best, at):
    """at[c] = element offset in x of the first maximum of window (oh, ow) of plane (n, c)."""
    C, sc, sh, sw = g[_C], g[_XS + 1], g[_XS + 2], g[_XS + 3]
    h0, h1, w0, w1 = _taps(g, oh, ow)
    for c in range(C):
        at[c] = -1
    for ih in range(h0, h1):
        for iw in range(w0, w1):
            p = n * g[_XS] + ih * sh + iw * sw
            for c in range(C):
                v = x[uint64(p + c * sc)]
                b = best[c]
                if at[c] < 0 or v > b or (v != v and b == b):
                    best[c] = v
                    at[c] = p + c * sc


@njit(cache=True, error_model="numpy")
def _out_offset(g, n, oh, ow):
    return n * g[_OS] + oh * g[_OS + 2] + ow * g[_OS + 3]


@njit(cache=True, error_model="numpy")
def _max_task(x, v, g, out, t, zero):
    """Max pooling of output row t = n * OH + oh (v unused)."""
    C, OH, OW, osc = g[_C], g[_OH], g[_OW], g[_OS + 1]
    n = t // OH
    oh = t - n * OH
    best = np.empty(C, out.dtype)
    at = np.empty(C, np.int64)
    for ow in range(OW):
        _argmax(x, g, n, oh, ow, best, at)
        o = _out_offset(g, n, oh, ow)
        for c in range(C):
            out[uint64(o + c * osc)] = best[c] if at[c] >= 0 else zero - np.inf


@njit(cache=True, error_model="numpy")
def _pick_task(x, v, g, out, t, zero):
    """v at the first maximum of x's window, for output row t = n * OH + oh."""
    C, OH, OW, osc = g[_C], g[_OH], g[_OW], g[_OS + 1]
    n = t // OH
    oh = t - n * OH
    best = np.empty(C, x.dtype)
    at = np.empty(C, np.int64)
    for ow in range(OW):
        _argmax(x, g, n, oh, ow, best, at)
        o = _out_offset(g, n, oh, ow)
        for c in range(C):
            out[uint64(o + c * osc)] = v[uint64(at[c])] if at[c] >= 0 else zero


@njit(cache=True, error_model="numpy")
def _max_grad_task(x, gy, g, dx, n, zero):
    """Gradient of image n: zero it, then add each window's gradient at its first maximum.

    Windows are visited in (oh, ow) order, so overlapping windows add in a fixed order.
    """
    C, H, W, OH, OW, osc = g[_C], g[_H], g[_W], g[_OH], g[_OW], g[_OS + 1]
    base = n * g[_XS]
    for i in range(C * H * W):
        dx[uint64(base + i)] = zero
    best = np.empty(C, x.dtype)
    at = np.empty(C, np.int64)
    for oh in range(OH):
        for ow in range(OW):
            _argmax(x, g, n, oh, ow, best, at)
            o = _out_offset(g, n, oh, ow)
            for c in range(C):
                if at[c] >= 0:
                    dx[uint64(at[c])] += gy[uint64(o + c * osc)]


@njit(cache=True, error_model="numpy")
def _divisor(g, oh, ow, zero):
    """The count an average-pooling window divides by (PyTorch's and TF's rules)."""
    H, W, KH, KW = g[_H], g[_W], g[_KH], g[_KW]
    h0 = oh * g[_SH] - g[_PT]
    w0 = ow * g[_SW] - g[_PL]
    h1 = min(h0 + KH, H + g[_PB])
    w1 = min(w0 + KW, W + g[_PR])
    if g[_INCL] == 0:
        h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
    # counts are small integers, exact in float32: the division then runs in the data dtype
    return zero + np.float32(max((h1 - h0) * (w1 - w0), 1))


@njit(cache=True, error_model="numpy")
def _avg_task(x, v, g, out, t, zero):
    """Average pooling of output row t = n * OH + oh: window sum in (kh, kw) order / count."""
    C, OH, OW, osc = g[_C], g[_OH], g[_OW], g[_OS + 1]
    sc, sh, sw = g[_XS + 1], g[_XS + 2], g[_XS + 3]
    n = t // OH
    oh = t - n * OH
    acc = np.empty(C, out.dtype)
    for ow in range(OW):
        h0, h1, w0, w1 = _taps(g, oh, ow)
        for c in range(C):
            acc[c] = zero
        for ih in range(h0, h1):
            for iw in range(w0, w1):
                p = n * g[_XS] + ih * sh + iw * sw
                for c in range(C):
                    acc[c] += x[uint64(p + c * sc)]
        d = _divisor(g, oh, ow, zero)
        o = _out_offset(g, n, oh, ow)
        for c in range(C):
            out[uint64(o + c * osc)] = acc[c] / d


@njit(cache=True, error_model="numpy")
def _avg_grad_task(x, gy, g, dx, n, zero):
    """Gradient of image n: zero it, then add g / count of each window, taps in (kh, kw) order."""
    C, H, W, OH, OW, KH, KW = g[_C], g[_H], g[_W], g[_OH], g[_OW], g[_KH], g[_KW]
    sc, sh, sw, osc = g[_XS + 1], g[_XS + 2], g[_XS + 3], g[_OS + 1]
    base = n * g[_XS]
    for i in range(C * H * W):
        dx[uint64(base + i)] = zero
    for kh in range(KH):
        for kw in range(KW):
            for oh in range(OH):
                ih = oh * g[_SH] - g[_PT] + kh
                if ih < 0 or ih >= H:
                    continue
                for ow in range(OW):
                    iw = ow * g[_SW] - g[_PL] + kw
                    if iw < 0 or iw >= W:
                        continue
                    d = _divisor(g, oh, ow, zero)
                    o = _out_offset(g, n, oh, ow)
                    p = base + ih * sh + iw * sw
                    for c in range(C):
                        dx[uint64(p + c * sc)] += gy[uint64(o + c * osc)] / d


# One serial and one parallel driver per loop, so only the loops a program uses get compiled.
# The parallel ones pass prange's index (which may be unsigned) as int64, as range gives it to
# the serial ones, so both share one compiled variant of each task.


@njit(cache=True)
def _max_serial(x, v, g, out, tasks, zero):
    for t in range(tasks):
        _max_task(x, v, g, out, t, zero)


@njit(cache=True, parallel=True)
def _max_parallel(x, v, g, out, tasks, zero):
    for t in prange(tasks):
        _max_task(x, v, g, out, np.int64(t), zero)


@njit(cache=True)
def _max_grad_serial(x, gy, g, out, tasks, zero):
    for n in range(tasks):
        _max_grad_task(x, gy, g, out, n, zero)


@njit(cache=True, parallel=True)
def _max_grad_parallel(x, gy, g, out, tasks, zero):
    for n in prange(tasks):
        _max_grad_task(x, gy, g, out, np.int64(n), zero)


@njit(cache=True)
def _pick_serial(x, v, g, out, tasks, zero):
    for t in range(tasks):
        _pick_task(x, v, g, out, t, zero)


@njit(cache=True, parallel=True)
def _pick_parallel(x, v, g, out, tasks, zero):
    for t in prange(tasks):
        _pick_task(x, v, g, out, np.int64(t), zero)


@njit(cache=True)
def _avg_serial(x, v, g, out, tasks, zero):
    for t in range(tasks):
        _avg_task(x, v, g, out, t, zero)


@njit(cache=True, parallel=True)
def _avg_parallel(x, v, g, out, tasks, zero):
    for t in prange(tasks):
        _avg_task(x, v, g, out, np.int64(t), zero)


@njit(cache=True)
def _avg_grad_serial(x, gy, g, out, tasks, zero):
    for n in range(tasks):
        _avg_grad_task(x, gy, g, out, n, zero)


@njit(cache=True, parallel=True)
def _avg_grad_parallel(x, gy, g, out, tasks, zero):
    for n in prange(tasks):
        _avg_grad_task(x, gy, g, out, np.int64(n), zero)


_LOOPS = {
    "max": (_max_serial, _max_parallel),
    "max_grad": (_max_grad_serial, _max_grad_parallel),
    "pick": (_pick_serial, _pick_parallel),
    "avg": (_avg_serial, _avg_parallel),
    "avg_grad": (_avg_grad_serial, _avg_grad_parallel),
}


def _strides(shape: tuple, data_format: str) -> list[int]:
    """Element strides (n, c, h, w) of a C-contiguous array of shape `shape` in data_format."""
    if data_format == "NCHW":
        _, c, h, w = shape
        return [c * h * w, h * w, w, 1]
    _, h, w, c = shape
    return [h * w * c, 1, w * c, c]


def geometry(
    x_shape, ksize, stride, padding, data_format, count_include_pad=True, op="pool", label=None
):
    """(int64 geometry vector, output shape in data_format) of a pooling window."""
    n, c, h, w = (
        x_shape if data_format == "NCHW" else (x_shape[0], x_shape[3], x_shape[1], x_shape[2])
    )
    oh, ow, pads = geo.output_hw(
        op,
        (h, w),
        ksize,
        stride,
        (1, 1),
        padding,
        label or f"input {tuple(x_shape)} ({data_format})",
    )
    out_shape = (n, c, oh, ow) if data_format == "NCHW" else (n, oh, ow, c)
    head = (c, h, w, oh, ow, *ksize, *stride, pads[0], pads[2], pads[1], pads[3])  # _C .. _PR
    strides = _strides(tuple(x_shape), data_format) + _strides(out_shape, data_format)
    vec = np.array(head + tuple(strides) + (1 if count_include_pad else 0,), dtype=np.int64)
    return vec, out_shape


def _run(loop: str, a, b, vec, out: np.ndarray, tasks: int) -> np.ndarray:
    """Run `loop` over `tasks` independent tasks (output rows or whole images)."""
    if out.size and tasks:
        serial, parallel = _LOOPS[loop]
        run = parallel if out.size >= PARALLEL_MIN and tasks > 1 else serial
        run(readonly(a), readonly(b), vec, out.reshape(-1), tasks, out.dtype.type(0))
    return out


def _apply(loop, op, a, b, x_shape, input_shaped, ksize, stride, padding, data_format, incl=True):
    """Run `loop` on NHWC data; NCHW operands are transposed in and the result back out.

    (Channel-innermost loops are fastest on NHWC; the transposes are cheap next to them, and
    the per-element arithmetic is the same either way.)
    """
    dtype = b.dtype
    x_shape = tuple(x_shape)
    label = f"input {x_shape} ({data_format})"
    if data_format == "NCHW":
        x_shape = (x_shape[0], x_shape[2], x_shape[3], x_shape[1])
    same = b is a
    a = to_nhwc(a, data_format, "pool_a")
    b = a if same else to_nhwc(b, data_format, "pool_b")
    vec, out_shape = geometry(x_shape, ksize, stride, padding, "NHWC", incl, op, label)
    shape = x_shape if input_shaped else out_shape
    if data_format == "NHWC":
        out = np.empty(shape, dtype)
    else:
        out = workspace("pool_out", shape, dtype)
    tasks = x_shape[0] if input_shaped else x_shape[0] * int(vec[_OH])
    _run(loop, a, b, vec, out, tasks)
    return from_nhwc(out, data_format)


def max_pool2d(x, ksize, stride, padding, data_format) -> np.ndarray:
    """Window maxima (padding counts as -inf)."""
    return _apply("max", "max_pool2d", x, x, x.shape, False, ksize, stride, padding, data_format)


def max_pool2d_grad(x, g, ksize, stride, padding, data_format) -> np.ndarray:
    """Gradient w.r.t. x: each window's g is added at the window's first maximum."""
    args = (ksize, stride, padding, data_format)
    return _apply("max_grad", "max_pool2d_grad", x, g, x.shape, True, *args)


def max_pool2d_pick(x, v, ksize, stride, padding, data_format) -> np.ndarray:
    """Per window, the entry of v (shaped like x) at the first maximum of x's window."""
    args = (ksize, stride, padding, data_format)
    return _apply("pick", "max_pool2d_pick", x, v, x.shape, False, *args)


def avg_pool2d(x, ksize, stride, padding, data_format, count_include_pad) -> np.ndarray:
    """Window sums over real elements divided by the window count (padding included or not)."""
    args = (ksize, stride, padding, data_format, count_include_pad)
    return _apply("avg", "avg_pool2d", x, x, x.shape, False, *args)


def avg_pool2d_grad(g, x_shape, ksize, stride, padding, data_format, count_include_pad):
    """Gradient of avg_pool2d w.r.t. its input of shape x_shape."""
    args = (ksize, stride, padding, data_format, count_include_pad)
    return _apply("avg_grad", "avg_pool2d_grad", g, g, x_shape, True, *args)
