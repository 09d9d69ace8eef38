"""im2col and col2im that read and write NCHW data in place (no NCHW <-> NHWC copies).

They build the transpose of kernels/conv's patch matrix (a row per tap in (kh, kw, c) order, a
column per output pixel in (n, oh, ow) order), so both reads and writes run along image rows,
and scatter the input gradient's taps in the same (kh, kw) order: every product and sum, and so
every bit, is that of the NHWC path; only the addresses differ.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .conv import PARALLEL_MIN, _span, readonly

# Indices into the int64 geometry vector (kernels/conv.geometry).
_C, _H, _W, _OH, _OW, _KH, _KW, _SH, _SW, _PT, _PL, _DH, _DW = range(13)


@njit(cache=True, error_model="numpy")
def _im2col_task(x, g, cols, t, istride, rstride, zero):
    """Patch rows (kh, kw, c) of image i, channel c (t = i * C + c), from NCHW x: element
    (i, tap, p) of the transposed patch matrix lands at i * istride + tap * rstride + p."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH]
    i = t // C
    c = t - i * C
    xb = (i * C + c) * H * W
    for kh in range(KH):
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            base = i * istride + ((kh * KW + kw) * C + c) * rstride
            for oh in range(OH):
                row = base + oh * OW
                ih = oh * SH - PT + kh * DH
                if ih < 0 or ih >= H:
                    for ow in range(OW):
                        cols[uint64(row + ow)] = zero
                    continue
                src = xb + ih * W + off
                for ow in range(lo):
                    cols[uint64(row + ow)] = zero
                for ow in range(lo, hi):
                    cols[uint64(row + ow)] = x[uint64(src + ow * g[_SW])]
                for ow in range(hi, OW):
                    cols[uint64(row + ow)] = zero


@njit(cache=True, error_model="numpy")
def _col2im_task(dcols, g, dx, t, istride, rstride, zero):
    """Input gradient of image i, channel c (t = i * C + c): zero it, then add the taps in
    (kh, kw) order from the transposed patch-gradient matrix (laid out as in _im2col_task)."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, PT, DH, SW = g[_KH], g[_KW], g[_SH], g[_PT], g[_DH], g[_SW]
    i = t // C
    c = t - i * C
    base = (i * C + c) * H * W
    for j in range(H * W):
        dx[uint64(base + j)] = zero
    for kh in range(KH):
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            src0 = i * istride + ((kh * KW + kw) * C + c) * rstride
            for oh in range(OH):
                ih = oh * SH - PT + kh * DH
                if ih < 0 or ih >= H:
                    continue
                dst = base + ih * W + off
                src = src0 + oh * OW
                for ow in range(lo, hi):
                    dx[uint64(dst + ow * SW)] += dcols[uint64(src + ow)]


@njit(cache=True)
def _im2col_serial(x, g, cols, tasks, istride, rstride, zero):
    for t in range(tasks):
        _im2col_task(x, g, cols, t, istride, rstride, zero)


@njit(cache=True, parallel=True)
def _im2col_parallel(x, g, cols, tasks, istride, rstride, zero):
    for t in prange(tasks):
        _im2col_task(x, g, cols, np.int64(t), istride, rstride, zero)


@njit(cache=True)
def _col2im_serial(dcols, g, dx, tasks, istride, rstride, zero):
    for t in range(tasks):
        _col2im_task(dcols, g, dx, t, istride, rstride, zero)


@njit(cache=True, parallel=True)
def _col2im_parallel(dcols, g, dx, tasks, istride, rstride, zero):
    for t in prange(tasks):
        _col2im_task(dcols, g, dx, np.int64(t), istride, rstride, zero)


def im2col(x_nchw: np.ndarray, vec: np.ndarray, cols: np.ndarray, per_image: bool) -> None:
    """Fill the transposed patch matrix of the NCHW block x_nchw: (nb, K, OH*OW) per image, or
    (K, nb*OH*OW) with the images' pixels side by side (`per_image` False)."""
    nb, c = x_nchw.shape[0], int(vec[_C])
    rows = int(vec[_OH] * vec[_OW])
    k = cols.size // max(nb * rows, 1)
    istride, rstride = (k * rows, rows) if per_image else (rows, nb * rows)
    tasks = nb * c
    if cols.size == 0 or tasks == 0:
        return
    run = _im2col_parallel if cols.size >= PARALLEL_MIN and tasks > 1 else _im2col_serial
    zero = cols.dtype.type(0)
    run(readonly(np.ascontiguousarray(x_nchw)), vec, cols.reshape(-1), tasks, istride, rstride,
        zero)  # fmt: skip


def col2im(dcols: np.ndarray, vec: np.ndarray, dx_nchw: np.ndarray) -> None:
    """Write the input gradient of the NCHW block dx_nchw (C-contiguous) from the per-image
    transposed patch gradients dcols ((nb, K, OH*OW))."""
    nb, k, rows = dcols.shape
    tasks = nb * int(vec[_C])
    if dx_nchw.size == 0 or tasks == 0:
        return
    run = _col2im_parallel if dx_nchw.size >= PARALLEL_MIN and tasks > 1 else _col2im_serial
    zero = dx_nchw.dtype.type(0)
    run(readonly(dcols), vec, dx_nchw.reshape(-1), tasks, k * rows, rows, zero)
