"""Inference batch norm in one pass: y = x * a + b per channel, with a and b made in the kernel.

a = (1 / sqrt(var + eps)) * scale and b = offset - mean * a are rounded to the data's dtype
at every step, and y = x * a is rounded before b is added (no fused multiply-add): exactly the
arithmetic of the composed form (core.functional._normalize) that graph programs run, so one
kernel here gives the same bits as that chain of elementwise ops. Data is seen as (O, C, I)
with the channel axis in the middle (see kernels/batchnorm).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .batchnorm import as_ocI

__all__ = ["affine", "infer"]

# Below this many elements the serial loop runs: a parallel region costs a few microseconds,
# more than a batch-1 activation (16K elements at ResNet sizes) takes to normalise.
PARALLEL_MIN = 1 << 18


@njit(cache=True, error_model="numpy")
def affine(mean, var, scale, offset, eps):
    """(a, b) per channel: a = (1 / sqrt(var + eps)) * scale, b = offset - mean * a."""
    one = var.dtype.type(1)
    a = np.empty_like(var)
    b = np.empty_like(var)
    for c in range(var.shape[0]):
        inv = one / np.sqrt(var[c] + eps)
        a[c] = inv * scale[c]
        b[c] = offset[c] - mean[c] * a[c]
    return a, b


@njit(cache=True, error_model="numpy")
def _row(x, a, b, out, r, C, I):
    c = r % C
    ac, bc = a[c], b[c]
    base = r * I
    for i in range(I):
        p = uint64(base + i)
        out[p] = x[p] * ac + bc


@njit(cache=True, error_model="numpy")
def _serial(x, a, b, out, C, I, rows):
    for r in range(rows):
        _row(x, a, b, out, r, C, I)


@njit(cache=True, parallel=True, error_model="numpy")
def _parallel(x, a, b, out, C, I, rows):
    for r in prange(rows):
        _row(x, a, b, out, np.int64(r), C, I)


@njit(cache=True, error_model="numpy")
def _last_axis(x, a, b, out, C, rows):
    """Channels on the last axis (NHWC): a row of C per pixel."""
    for r in range(rows):
        base = r * C
        for c in range(C):
            p = uint64(base + c)
            out[p] = x[p] * a[c] + b[c]


def infer(x, mean, var, scale, offset, axis: int, eps: float) -> np.ndarray:
    """x normalised with the given (C,) statistics and affine parameters along `axis`."""
    x = np.ascontiguousarray(x)
    dt = x.dtype
    a, b = affine(*(np.ascontiguousarray(v, dt) for v in (mean, var, scale, offset)), dt.type(eps))
    out = np.empty_like(x)
    if x.size == 0:
        return out
    o, c, i = as_ocI(x.shape, axis)
    flat, dst = x.reshape(-1), out.reshape(-1)
    if i == 1:
        _last_axis(flat, a, b, dst, c, o)
    elif x.size >= PARALLEL_MIN and o * c > 1:
        _parallel(flat, a, b, dst, c, i, o * c)
    else:
        _serial(flat, a, b, dst, c, i, o * c)
    return out
