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
def _tap_rows_unit(x, cols, xb, base, dh, H, W, OH, lo, hi, off, zero):
    """One tap's patch row of a unit-stride convolution whose output is as wide as its input
    (OW == W, hi > lo): output pixel p = oh * W + ow reads input x[xb + (oh + dh) * W + off + ow],
    linear in p, so the rows whose input row exists are ONE contiguous copy (long enough to
    vectorise where image rows are short); the few columns outside [lo, hi) that it filled
    from a neighbouring row, and the rows that fall in the padding, are then zeroed."""
    oh0 = min(max(0, -dh), OH)
    oh1 = max(min(OH, H - dh), oh0)
    for p in range(oh0 * W):
        cols[uint64(base + p)] = zero
    if oh1 > oh0:
        p0 = oh0 * W + lo
        p1 = (oh1 - 1) * W + hi
        shift = xb + dh * W + off  # >= 0 at p0 and in the image up to p1 - 1
        for p in range(p0, p1):
            cols[uint64(base + p)] = x[uint64(shift + p)]
        for oh in range(oh0, oh1):
            row = base + oh * W
            for ow in range(lo):
                cols[uint64(row + ow)] = zero
            for ow in range(hi, W):
                cols[uint64(row + ow)] = zero
    for p in range(oh1 * W, OH * W):
        cols[uint64(base + p)] = zero


@njit(cache=True, error_model="numpy")
def _image_same(x, g, cols, i, istride, zero):
    """All patch rows of image i for a unit-stride convolution whose output is as large as its
    input (OH*OW == H*W, per-image layout): for one tap, element (c, p) of the patch rows and
    x[c, p + shift] are both at c * H*W + p, so the tap's rows of ALL channels are one
    contiguous copy (long even for 8x8 images); what it filled from a neighbouring row or
    channel (columns outside [lo, hi), rows in the padding) is zeroed after it."""
    C, H, W, OH = g[_C], g[_H], g[_W], g[_OH]
    KH, KW, PT, DH = g[_KH], g[_KW], g[_PT], g[_DH]
    hw = H * W
    xb = i * C * hw
    for kh in range(KH):
        dh = kh * DH - PT
        oh0 = min(max(0, -dh), OH)
        oh1 = max(min(OH, H - dh), oh0)
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            base = i * istride + (kh * KW + kw) * C * hw
            if oh1 == oh0 or hi == lo:
                for q in range(C * hw):
                    cols[uint64(base + q)] = zero
                continue
            shift = xb + dh * W + off  # x index minus patch index; in the image on [q0, q1)
            q0 = oh0 * W + lo
            q1 = (C - 1) * hw + (oh1 - 1) * W + hi
            for q in range(q0, q1):
                cols[uint64(base + q)] = x[uint64(shift + q)]
            for c in range(C):
                cb = base + c * hw
                for q in range(oh0 * W):
                    cols[uint64(cb + q)] = zero
                for oh in range(oh0, oh1):
                    row = cb + oh * W
                    for ow in range(lo):
                        cols[uint64(row + ow)] = zero
                    for ow in range(hi, W):
                        cols[uint64(row + ow)] = zero
                for q in range(oh1 * W, hw):
                    cols[uint64(cb + q)] = zero


@njit(cache=True)
def _same_serial(x, g, cols, tasks, istride, zero):
    for i in range(tasks):
        _image_same(x, g, cols, i, istride, zero)


@njit(cache=True, parallel=True)
def _same_parallel(x, g, cols, tasks, istride, zero):
    for i in prange(tasks):
        _image_same(x, g, cols, np.int64(i), istride, zero)


@njit(cache=True, error_model="numpy")
def _im2col_task(x, g, cols, t, istride, rstride, zero):
    """Patch rows (kh, kw, c) of image i, channel c (t = i * C + c), from NCHW x: element
    (i, tap, p) of the transposed patch matrix lands at i * istride + tap * rstride + p."""
    C, H, W, OH, OW = g[_C], g[_H], g[_W], g[_OH], g[_OW]
    KH, KW, SH, SW, PT, DH = g[_KH], g[_KW], g[_SH], g[_SW], g[_PT], g[_DH]
    i = t // C
    c = t - i * C
    xb = (i * C + c) * H * W
    for kh in range(KH):
        for kw in range(KW):
            lo, hi, off = _span(g, kw)
            base = i * istride + ((kh * KW + kw) * C + c) * rstride
            if SH == 1 and SW == 1 and OW == W and hi > lo:
                _tap_rows_unit(x, cols, xb, base, kh * DH - PT, H, W, OH, lo, hi, off, zero)
                continue
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
                # the stride is a local: read from g after a store to cols, it would be
                # reloaded every step (they might alias) and the copy would stay scalar
                if SW == 1:
                    for ow in range(lo, hi):
                        cols[uint64(row + ow)] = x[uint64(src + ow)]
                else:
                    for ow in range(lo, hi):
                        cols[uint64(row + ow)] = x[uint64(src + ow * SW)]
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
    (K, L) with the images' pixels side by side in the first nb*OH*OW columns of each row
    (`per_image` False; L >= nb*OH*OW, the rest of a row is left alone)."""
    nb, c = x_nchw.shape[0], int(vec[_C])
    rows = int(vec[_OH] * vec[_OW])
    if per_image:
        istride, rstride = cols.shape[1] * rows, rows
    else:
        istride, rstride = rows, cols.shape[1]
    tasks = nb * c
    if cols.size == 0 or tasks == 0:
        return
    zero = cols.dtype.type(0)
    same = vec[_SH] == 1 and vec[_SW] == 1 and (vec[_OH], vec[_OW]) == (vec[_H], vec[_W])
    if same and rstride == rows:  # one copy per tap over all channels (_image_same)
        run = _same_parallel if cols.size >= PARALLEL_MIN and nb > 1 else _same_serial
        run(readonly(np.ascontiguousarray(x_nchw)), vec, cols.reshape(-1), nb, istride, zero)
        return
    run = _im2col_parallel if cols.size >= PARALLEL_MIN and tasks > 1 else _im2col_serial
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
