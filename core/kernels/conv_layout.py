"""NCHW <-> NHWC copies of whole images: a batch of (rows, cols) matrices transposed.

numpy's strided copy moves one element per step with the short channel axis innermost on one
side (about 7 GB/s for a 16-channel activation); these loops walk the long axis in runs of 16
so that one side is read or written in contiguous runs and the other side's strided accesses
stay within a few cache lines: 2-3x faster at ResNet channel counts. A copy moves values
unchanged, so the bits of everything downstream are the same on either copy.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

__all__ = ["transpose_images"]

_RUN = 16  # elements per contiguous run along the long axis
# Below this many elements the copy runs on one thread (a parallel launch costs microseconds).
PARALLEL_MIN = 1 << 18
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@njit(cache=True, error_model="numpy")
def _image_wide(src, dst, base, rows, cols):
    """dst[b, a] = src[a, b] for one (rows, cols) image, rows <= cols: contiguous reads."""
    for j0 in range(0, cols, _RUN):
        w = min(_RUN, cols - j0)
        for r in range(rows):
            s = base + r * cols + j0
            d = base + j0 * rows + r
            for j in range(w):
                dst[uint64(d + j * rows)] = src[uint64(s + j)]


@njit(cache=True, error_model="numpy")
def _image_tall(src, dst, base, rows, cols):
    """dst[b, a] = src[a, b] for one (rows, cols) image, rows > cols: contiguous writes."""
    for r0 in range(0, rows, _RUN):
        h = min(_RUN, rows - r0)
        for j in range(cols):
            s = base + r0 * cols + j
            d = base + j * rows + r0
            for r in range(h):
                dst[uint64(d + r)] = src[uint64(s + r * cols)]


@njit(cache=True, error_model="numpy")
def _image(src, dst, i, rows, cols):
    base = i * rows * cols
    if rows <= cols:
        _image_wide(src, dst, base, rows, cols)
    else:
        _image_tall(src, dst, base, rows, cols)


@njit(cache=True)
def _serial(src, dst, n, rows, cols):
    for i in range(n):
        _image(src, dst, i, rows, cols)


@njit(cache=True, parallel=True)
def _parallel(src, dst, n, rows, cols):
    for i in prange(n):
        _image(src, dst, np.int64(i), rows, cols)


def transpose_images(src: np.ndarray, dst: np.ndarray, rows: int, cols: int) -> None:
    """Write each (rows, cols) image of the C-contiguous `src` transposed into `dst`.

    Both hold n = size / (rows * cols) images back to back; `dst` must be C-contiguous and of
    src's dtype. Other dtypes or layouts fall back to numpy's copy (same values).
    """
    if not dst.flags.c_contiguous:  # a reshape of it could be a copy, losing the writes
        raise ValueError(f"transpose_images: dst must be C-contiguous, got strides {dst.strides}")
    per = rows * cols
    n = src.size // per if per else 0
    if n == 0:
        return
    if not src.flags.c_contiguous or src.dtype not in _FLOATS or dst.dtype != src.dtype:
        src = np.ascontiguousarray(src)
        np.copyto(dst.reshape(n, cols, rows), src.reshape(n, rows, cols).transpose(0, 2, 1))
        return
    flat_src = src.reshape(-1).view()
    flat_src.flags.writeable = False  # writeable and read-only sources share one compiled loop
    run = _parallel if src.size >= PARALLEL_MIN and n > 1 else _serial
    run(flat_src, dst.reshape(-1), n, rows, cols)
