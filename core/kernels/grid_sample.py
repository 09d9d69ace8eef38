"""2-D grid sampling (bilinear or nearest) and its two gradients, NCHW input, (N, Ho, Wo, 2) grid.

Coordinates follow PyTorch's `grid_sample`: grid x (last entry 0) indexes width, y height, -1
and 1 are the outer pixels' centres (align_corners) or edges (not); padding 'zeros' reads 0
outside, 'border' clamps the coordinate, 'reflection' reflects it at the border (at the centres
or the edges, as align_corners says) and then clamps. Arithmetic is in float64, results in the
input's dtype.

Determinism: the forward pass and the grid gradient write each output element from one loop
iteration; the input gradient scatters into its (n, c) plane from one iteration per plane, in
(row, column) order of the output. Parallel loops never share a sum.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["MODES", "PADDINGS", "grid_sample", "grid_sample_grid_grad", "grid_sample_input_grad"]

MODES = {"bilinear": 0, "nearest": 1}
PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}


@njit(cache=True, inline="always")
def _clip(v, size):
    """v clamped to [0, size - 1] and d(result)/dv (0 at or beyond the ends, as PyTorch)."""
    if v <= 0.0:
        return 0.0, 0.0
    if v >= size - 1.0:
        return size - 1.0, 0.0
    return v, 1.0


@njit(cache=True, inline="always")
def _reflect(v, twice_low, twice_high):
    """v reflected into [twice_low / 2, twice_high / 2] and d(result)/dv (+1 or -1)."""
    if twice_low == twice_high:
        return 0.0, 0.0
    low = twice_low / 2.0
    span = (twice_high - twice_low) / 2.0
    v = v - low
    sign = 1.0
    if v < 0.0:
        sign = -1.0
        v = -v
    extra = np.fmod(v, span)
    flips = math.floor(v / span)
    if flips % 2.0 == 0.0:
        return extra + low, sign
    return span - extra + low, -sign


@njit(cache=True, inline="always")
def _source(coord, size, pad, align):
    """The pixel coordinate of a grid coordinate and d(pixel)/d(grid coordinate)."""
    if align:
        v = (coord + 1.0) / 2.0 * (size - 1.0)
        scale = (size - 1.0) / 2.0
    else:
        v = ((coord + 1.0) * size - 1.0) / 2.0
        scale = size / 2.0
    if pad == 1:
        v, d = _clip(v, size)
        scale *= d
    elif pad == 2:
        if align:
            v, d = _reflect(v, 0.0, 2.0 * (size - 1.0))
        else:
            v, d = _reflect(v, -1.0, 2.0 * size - 1.0)
        scale *= d
        v, d = _clip(v, size)
        scale *= d
    return v, scale


@njit(cache=True, inline="always")
def _finite(ix, iy):
    """False for NaN, infinite or far-away coordinates (they read nothing: zeros)."""
    return abs(ix) < 1e9 and abs(iy) < 1e9


@njit(cache=True, inline="always")
def _inside(y, x, h, w):
    return 0 <= y < h and 0 <= x < w


@njit(cache=True, parallel=True)
def grid_sample(x, grid, mode, pad, align):
    """Sample x (N, C, H, W) at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo)."""
    n_, c_, h, w = x.shape
    ho, wo = grid.shape[1], grid.shape[2]
    out = np.zeros((n_, c_, ho, wo), x.dtype)
    for p in prange(n_ * ho):
        n = p // ho
        i = p % ho
        for j in range(wo):
            ix, _ = _source(np.float64(grid[n, i, j, 0]), w, pad, align)
            iy, _ = _source(np.float64(grid[n, i, j, 1]), h, pad, align)
            if not _finite(ix, iy):
                continue
            if mode == 1:
                xn = int(np.rint(ix))
                yn = int(np.rint(iy))
                if _inside(yn, xn, h, w):
                    for c in range(c_):
                        out[n, c, i, j] = x[n, c, yn, xn]
                continue
            x0 = int(math.floor(ix))
            y0 = int(math.floor(iy))
            tx = ix - x0
            ty = iy - y0
            for c in range(c_):
                acc = 0.0
                if _inside(y0, x0, h, w):
                    acc += np.float64(x[n, c, y0, x0]) * (1.0 - tx) * (1.0 - ty)
                if _inside(y0, x0 + 1, h, w):
                    acc += np.float64(x[n, c, y0, x0 + 1]) * tx * (1.0 - ty)
                if _inside(y0 + 1, x0, h, w):
                    acc += np.float64(x[n, c, y0 + 1, x0]) * (1.0 - tx) * ty
                if _inside(y0 + 1, x0 + 1, h, w):
                    acc += np.float64(x[n, c, y0 + 1, x0 + 1]) * tx * ty
                out[n, c, i, j] = acc
    return out


@njit(cache=True, parallel=True)
def grid_sample_input_grad(g, grid, h, w, mode, pad, align):
    """d(loss)/dx for the cotangent g (N, C, Ho, Wo) of `grid_sample` -> (N, C, H, W)."""
    n_, c_, ho, wo = g.shape
    out = np.zeros((n_, c_, h, w), g.dtype)
    acc = np.zeros((n_ * c_, h, w))
    for p in prange(n_ * c_):
        n = p // c_
        c = p % c_
        plane = acc[p]
        for i in range(ho):
            for j in range(wo):
                ix, _ = _source(np.float64(grid[n, i, j, 0]), w, pad, align)
                iy, _ = _source(np.float64(grid[n, i, j, 1]), h, pad, align)
                if not _finite(ix, iy):
                    continue
                gv = np.float64(g[n, c, i, j])
                if mode == 1:
                    xn = int(np.rint(ix))
                    yn = int(np.rint(iy))
                    if _inside(yn, xn, h, w):
                        plane[yn, xn] += gv
                    continue
                x0 = int(math.floor(ix))
                y0 = int(math.floor(iy))
                tx = ix - x0
                ty = iy - y0
                if _inside(y0, x0, h, w):
                    plane[y0, x0] += gv * (1.0 - tx) * (1.0 - ty)
                if _inside(y0, x0 + 1, h, w):
                    plane[y0, x0 + 1] += gv * tx * (1.0 - ty)
                if _inside(y0 + 1, x0, h, w):
                    plane[y0 + 1, x0] += gv * (1.0 - tx) * ty
                if _inside(y0 + 1, x0 + 1, h, w):
                    plane[y0 + 1, x0 + 1] += gv * tx * ty
        for yy in range(h):
            for xx in range(w):
                out[n, c, yy, xx] = plane[yy, xx]
    return out


@njit(cache=True, parallel=True)
def grid_sample_grid_grad(g, x, grid, mode, pad, align):
    """d(loss)/dgrid for the cotangent g (N, C, Ho, Wo) of `grid_sample` -> (N, Ho, Wo, 2)."""
    n_, c_, h, w = x.shape
    ho, wo = grid.shape[1], grid.shape[2]
    out = np.zeros(grid.shape, grid.dtype)
    if mode == 1:  # nearest: piecewise constant in the grid
        return out
    for p in prange(n_ * ho):
        n = p // ho
        i = p % ho
        for j in range(wo):
            ix, sx = _source(np.float64(grid[n, i, j, 0]), w, pad, align)
            iy, sy = _source(np.float64(grid[n, i, j, 1]), h, pad, align)
            if not _finite(ix, iy):
                continue
            x0 = int(math.floor(ix))
            y0 = int(math.floor(iy))
            tx = ix - x0
            ty = iy - y0
            gx = 0.0
            gy = 0.0
            for c in range(c_):
                gv = np.float64(g[n, c, i, j])
                if _inside(y0, x0, h, w):
                    v = np.float64(x[n, c, y0, x0]) * gv
                    gx -= v * (1.0 - ty)
                    gy -= v * (1.0 - tx)
                if _inside(y0, x0 + 1, h, w):
                    v = np.float64(x[n, c, y0, x0 + 1]) * gv
                    gx += v * (1.0 - ty)
                    gy -= v * tx
                if _inside(y0 + 1, x0, h, w):
                    v = np.float64(x[n, c, y0 + 1, x0]) * gv
                    gx -= v * ty
                    gy += v * (1.0 - tx)
                if _inside(y0 + 1, x0 + 1, h, w):
                    v = np.float64(x[n, c, y0 + 1, x0 + 1]) * gv
                    gx += v * ty
                    gy += v * tx
            out[n, i, j, 0] = gx * sx
            out[n, i, j, 1] = gy * sy
    return out
