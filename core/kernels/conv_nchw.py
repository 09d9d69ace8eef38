"""im2col and col2im that read and write NCHW data in place (no NCHW <-> NHWC copies).

They build the same patch matrix as kernels/conv's loops (a row per output pixel in
(n, oh, ow) order, a column per tap in (kh, kw, c) order) and scatter the input gradient's taps
in the same (kh, kw) order, so every product and sum, and so every bit, is that of the NHWC
path; only the addresses differ (a channel step is H * W elements apart).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .conv import PARALLEL_MIN, _span, readonly

# Indices into the int64 geometry vector (kernels/conv.geometry).
_C, _H, _W, _OH, _OW, _KH, _KW, _SH, _SW, _PT, _PL, _DH, _DW = range(13)


@njit(cache=True, error_model="numpy")
def _im2col_task(x, g, cols, t, zero):
    """cols rows of output pixels (n, oh, 0..OW-1) from NCHW x, t = n * OH + oh."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, SW, PT, PL, DH, DW = g[_KH], g[_KW], g[_SH], g[_SW], g[_PT], g[_PL], g[_DH], g[_DW]
    K = KH * KW * C
    HW = H * W
    n = t // OH
    ih0 = (t - n * OH) * SH - PT
    xb = n * C * HW
    for ow in range(OW):
        j = (t * OW + ow) * K
        iw0 = ow * SW - PL
        for kh in range(KH):
            ih = ih0 + kh * DH
            if ih < 0 or ih >= H:
                for i in range(KW * C):
                    cols[uint64(j + i)] = zero
                j += KW * C
                continue
            for kw in range(KW):
                iw = iw0 + kw * DW
                if iw < 0 or iw >= W:
                    for i in range(C):
                        cols[uint64(j + i)] = zero
                else:
                    s = xb + ih * W + iw
                    for i in range(C):
                        cols[uint64(j + i)] = x[uint64(s + i * HW)]
                j += C


@njit(cache=True, error_model="numpy")
def _col2im_task(dcols, g, dx, n, zero):
    """Input gradient of NCHW image n: zero it, then add the taps in (kh, kw) order."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH, SW = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH], g[_SW]
    K = KH * KW * C
    HW = H * W
    base = n * C * HW
    for i in range(C * HW):
        dx[uint64(base + i)] = zero
    for kh in range(KH):
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            tap = (kh * KW + kw) * C
            for oh in range(OH):
                ih = oh * SH - PT + kh * DH
                if ih < 0 or ih >= H:
                    continue
                for ow in range(lo, hi):
                    src = ((n * OH + oh) * OW + ow) * K + tap
                    dst = base + ih * W + ow * SW + off
                    for i in range(C):
                        dx[uint64(dst + i * HW)] += dcols[uint64(src + i)]


@njit(cache=True)
def _im2col_serial(x, g, cols, tasks, zero):
    for t in range(tasks):
        _im2col_task(x, g, cols, t, zero)


@njit(cache=True, parallel=True)
def _im2col_parallel(x, g, cols, tasks, zero):
    for t in prange(tasks):
        _im2col_task(x, g, cols, np.int64(t), zero)


@njit(cache=True)
def _col2im_serial(dcols, g, dx, tasks, zero):
    for n in range(tasks):
        _col2im_task(dcols, g, dx, n, zero)


@njit(cache=True, parallel=True)
def _col2im_parallel(dcols, g, dx, tasks, zero):
    for n in prange(tasks):
        _col2im_task(dcols, g, dx, np.int64(n), zero)


def im2col(x_nchw: np.ndarray, vec: np.ndarray, cols: np.ndarray) -> None:
    """Fill cols ((N*OH*OW, KH*KW*C)) with the patches of the NCHW block x_nchw."""
    tasks = x_nchw.shape[0] * int(vec[_OH])
    if cols.size == 0 or tasks == 0:
        return
    run = _im2col_parallel if cols.size >= PARALLEL_MIN and tasks > 1 else _im2col_serial
    run(readonly(np.ascontiguousarray(x_nchw)), vec, cols.reshape(-1), tasks, cols.dtype.type(0))


def col2im(dcols: np.ndarray, vec: np.ndarray, dx_nchw: np.ndarray) -> None:
    """Write the input gradient of the NCHW block dx_nchw (C-contiguous) from dcols."""
    tasks = dx_nchw.shape[0]
    if dx_nchw.size == 0 or tasks == 0:
        return
    run = _col2im_parallel if dx_nchw.size >= PARALLEL_MIN and tasks > 1 else _col2im_serial
    run(readonly(dcols), vec, dx_nchw.reshape(-1), tasks, dx_nchw.dtype.type(0))
