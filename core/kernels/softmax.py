"""Softmax, log-softmax, logsumexp and their gradients, row by row in a fixed order.

Every row is handled the same way whatever the thread count: max (NaN-propagating), then
exp(x - max), then a sum with 8 lanes combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)) plus
the n % 8 tail in order. Other axes are moved last (a copy) and moved back.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .pymath import math  # the standard module when compiled (see pymath)
from .reduce import normalize_axes
from .vecmath import exp as vexp  # float32: the float32-arithmetic template of the `exp` op

# Rows run in parallel when the array has at least this many elements (and several rows);
# each row is computed the same way either way, so the bits do not change.
PARALLEL_MIN = 1 << 14

SOFTMAX, LOG_SOFTMAX = 0, 1


@njit(cache=True, error_model="numpy")
def _row_max(x):
    """The row's maximum, or its first NaN if it has one.

    Eight running maxima over interleaved elements (select-only, so the compiler vectorises
    them) and a NaN flag; only a row with a NaN is scanned again, for its first NaN. The
    value is the plain maximum (order cannot change it) except that of equal zeros, the one
    lane order meets first is kept.
    """
    n = x.shape[0]
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = x[0]
    nan = False
    n8 = n - n % 8
    for i in range(0, n8, 8):
        v0, v1, v2, v3 = x[i], x[i + 1], x[i + 2], x[i + 3]
        v4, v5, v6, v7 = x[i + 4], x[i + 5], x[i + 6], x[i + 7]
        b0 = v0 if v0 > b0 else b0
        b1 = v1 if v1 > b1 else b1
        b2 = v2 if v2 > b2 else b2
        b3 = v3 if v3 > b3 else b3
        b4 = v4 if v4 > b4 else b4
        b5 = v5 if v5 > b5 else b5
        b6 = v6 if v6 > b6 else b6
        b7 = v7 if v7 > b7 else b7
        nan = nan | (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)
        nan = nan | (v4 != v4) | (v5 != v5) | (v6 != v6) | (v7 != v7)
    best = b0
    for b in (b1, b2, b3, b4, b5, b6, b7):
        best = b if b > best else best
    for i in range(n8, n):
        v = x[i]
        best = v if v > best else best
        nan = nan | (v != v)
    if nan:  # a NaN, once met, is kept: nothing compares above it
        for i in range(n):
            if x[i] != x[i]:
                return x[i]
    return best


@njit(cache=True, error_model="numpy")
def _row_sum(x, zero):
    n = x.shape[0]
    n8 = n - n % 8
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
    for i in range(0, n8, 8):
        a0 += x[i]
        a1 += x[i + 1]
        a2 += x[i + 2]
        a3 += x[i + 3]
        a4 += x[i + 4]
        a5 += x[i + 5]
        a6 += x[i + 6]
        a7 += x[i + 7]
    t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    for i in range(n8, n):
        t += x[i]
    return t


@njit(cache=True, error_model="numpy")
def _fwd_row(x, o, zero, mode):
    n = x.shape[0]
    m = _row_max(x)
    for i in range(n):
        o[i] = vexp(x[i] - m)
    s = _row_sum(o, zero)
    if mode == 1:  # log_softmax = (x - m) - log(sum), as torch computes it
        ls = math.log(s)
        for i in range(n):
            o[i] = (x[i] - m) - ls
    else:
        for i in range(n):
            o[i] = o[i] / s


@njit(cache=True, error_model="numpy")
def _fwd_serial(x, out, zero, mode):
    for r in range(x.shape[0]):
        _fwd_row(x[r], out[r], zero, mode)


@njit(cache=True, error_model="numpy", parallel=True)
def _fwd_parallel(x, out, zero, mode):
    for r in prange(x.shape[0]):
        _fwd_row(x[r], out[r], zero, mode)


@njit(cache=True, error_model="numpy")
def _lse_row(x, buf, zero):
    m = _row_max(x)
    if abs(m) == math.inf:  # all -inf -> -inf, any +inf -> +inf (torch's rule)
        m = zero
    for i in range(x.shape[0]):
        buf[i] = vexp(x[i] - m)
    return m + math.log(_row_sum(buf, zero))


@njit(cache=True, error_model="numpy")
def _lse_serial(x, out, zero):
    buf = np.empty(x.shape[1], x.dtype)
    for r in range(x.shape[0]):
        out[r] = _lse_row(x[r], buf, zero)


@njit(cache=True, error_model="numpy", parallel=True)
def _lse_parallel(x, out, zero):
    nr = x.shape[0]
    nchunk = min(nr, 64)
    for c in prange(nchunk):
        buf = np.empty(x.shape[1], x.dtype)
        for r in range(c * nr // nchunk, (c + 1) * nr // nchunk):
            out[r] = _lse_row(x[r], buf, zero)


@njit(cache=True, error_model="numpy")
def _bwd_row(y, g, o, zero, mode):
    n = y.shape[0]
    if mode == 1:  # log_softmax: g - exp(y) * sum(g)
        s = _row_sum(g, zero)
        for i in range(n):
            o[i] = g[i] - vexp(y[i]) * s
    else:  # softmax: y * (g - sum(g * y))
        for i in range(n):
            o[i] = g[i] * y[i]
        s = _row_sum(o, zero)
        for i in range(n):
            o[i] = y[i] * (g[i] - s)


@njit(cache=True, error_model="numpy")
def _bwd_serial(y, g, out, zero, mode):
    for r in range(y.shape[0]):
        _bwd_row(y[r], g[r], out[r], zero, mode)


@njit(cache=True, error_model="numpy", parallel=True)
def _bwd_parallel(y, g, out, zero, mode):
    for r in prange(y.shape[0]):
        _bwd_row(y[r], g[r], out[r], zero, mode)


def _float(x, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{what}: expected float32 or float64, got {x.dtype}")
    return x


def _rows(x: np.ndarray, axis: int, what: str) -> tuple[np.ndarray, int]:
    """View ``x`` as contiguous (rows, L) with ``axis`` last; returns (x2, normalised axis)."""
    if x.ndim == 0:
        return x.reshape(1, 1), 0
    (ax,) = normalize_axes(axis, x.ndim, what)
    if ax != x.ndim - 1:
        x = np.moveaxis(x, ax, -1)
    n = x.shape[-1]
    return np.ascontiguousarray(x).reshape(x.size // n if n else 0, n), ax


def _unrows(o2: np.ndarray, shape: tuple[int, ...], ax: int) -> np.ndarray:
    if len(shape) == 0:
        return o2.reshape(())
    if ax == len(shape) - 1:
        return o2.reshape(shape)
    moved = shape[:ax] + shape[ax + 1 :] + (shape[ax],)
    return np.ascontiguousarray(np.moveaxis(o2.reshape(moved), -1, ax))


def _par(x2: np.ndarray) -> bool:
    return x2.size >= PARALLEL_MIN and x2.shape[0] > 1


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _last_axis_2d(x, axis) -> bool:
    # rows of a C-contiguous float matrix along its last axis: the common call, which needs
    # none of the moving and reshaping below (the kernels see exactly the same rows)
    return (
        type(x) is np.ndarray
        and type(axis) is int
        and (axis == 1 or axis == -1)
        and x.ndim == 2
        and x.dtype in _FLOATS
        and x.flags.c_contiguous
    )


def _forward(x, axis: int, mode: int, what: str) -> np.ndarray:
    if _last_axis_2d(x, axis):
        out = np.empty_like(x)
        if x.size:
            (_fwd_parallel if _par(x) else _fwd_serial)(x, out, x.dtype.type(0), mode)
        return out
    x = _float(x, what)
    x2, ax = _rows(x, axis, what)
    out = np.empty_like(x2)
    if x2.size:
        (_fwd_parallel if _par(x2) else _fwd_serial)(x2, out, x.dtype.type(0), mode)
    return _unrows(out, x.shape, ax)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``; an all -inf row gives NaN."""
    return _forward(x, axis, SOFTMAX, "softmax")


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """(x - max) - log(sum(exp(x - max))) along ``axis``."""
    return _forward(x, axis, LOG_SOFTMAX, "log_softmax")


def logsumexp(
    x: np.ndarray, axis: int | tuple[int, ...] | None = -1, keepdims: bool = False
) -> np.ndarray:
    """log(sum(exp(x))) over ``axis`` (int, tuple or None), computed stably."""
    x = _float(x, "logsumexp")
    if x.ndim == 0:  # log(exp(x)) over the single element, whatever the axis
        return x.copy()
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    kept = [d for d in range(x.ndim) if d not in axes]
    nred = 1
    for a in axes:
        nred *= x.shape[a]
    xt = x.transpose(kept + list(axes)) if x.ndim else x
    nkeep = int(np.prod([x.shape[d] for d in kept], dtype=np.int64))
    x2 = np.ascontiguousarray(xt).reshape(nkeep, nred)
    out = np.empty(x2.shape[0], x.dtype)
    if nred == 0:
        out[:] = -np.inf  # log(0)
    elif x2.size:
        (_lse_parallel if _par(x2) else _lse_serial)(x2, out, x.dtype.type(0))
    if keepdims:
        return out.reshape(tuple(1 if d in axes else n for d, n in enumerate(x.shape)))
    return out.reshape(tuple(x.shape[d] for d in kept))


def _backward(y, g, axis: int, mode: int, what: str) -> np.ndarray:
    if (
        _last_axis_2d(y, axis)
        and type(g) is np.ndarray
        and g.shape == y.shape
        and g.dtype == y.dtype
        and g.flags.c_contiguous
    ):
        out = np.empty_like(y)
        if y.size:
            (_bwd_parallel if _par(y) else _bwd_serial)(y, g, out, y.dtype.type(0), mode)
        return out
    y, g = _float(y, what), _float(g, what)
    if y.shape != g.shape or y.dtype != g.dtype:
        raise ValueError(f"{what}: y {y.shape} {y.dtype} and g {g.shape} {g.dtype} differ")
    y2, ax = _rows(y, axis, what)
    g2, _ = _rows(g, axis, what)
    out = np.empty_like(y2)
    if y2.size:
        (_bwd_parallel if _par(y2) else _bwd_serial)(y2, g2, out, y.dtype.type(0), mode)
    return _unrows(out, y.shape, ax)


def softmax_grad(y: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """VJP of softmax from its output ``y``: y * (g - sum(g * y, axis, keepdims))."""
    return _backward(y, g, axis, SOFTMAX, "softmax_grad")


def log_softmax_grad(y: np.ndarray, g: np.ndarray, axis: int = -1) -> np.ndarray:
    """VJP of log_softmax from its output ``y``: g - exp(y) * sum(g, axis, keepdims)."""
    return _backward(y, g, axis, LOG_SOFTMAX, "log_softmax_grad")
