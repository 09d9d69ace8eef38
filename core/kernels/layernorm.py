"""Layer normalisation over the last axis of a (rows, D) array: one kernel forward, one backward.

Forward, per row: mean = sum(x) / D, var = sum((x - mean)^2) / D, rstd = 1 / sqrt(var + eps),
y = (x - mean) * rstd * gamma + beta, in one visit of the row (held in cache). Backward, per
row: xhat = (x - mean) * rstd recomputed from x (nothing but x is kept), gy = g * gamma,
dx = (gy - sum(gy) / D - xhat * sum(gy * xhat) / D) * rstd; and the parameter gradients
dgamma = sum over rows of g * xhat, dbeta = sum of g.

Every sum has a fixed order that does not depend on the thread count: a row sum is the
reductions' scheme (8 lanes within blocks of 128, blocks combined by a binary counter), and
the parameter gradients are summed in row order within fixed blocks of BLOCK_ROWS rows, the
block partials then added in block order. Tasks are those row blocks, run in parallel when the
array is large enough.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_share import threads as _cpu_threads

BLOCK_ROWS = 32  # rows per task; also the fixed grouping of the parameter-gradient sums
LANE_BLOCK = 128  # the reductions' block length (kernels.reduce_template)
# Below this many elements the kernels run on one thread: at the Transformer bench's (2048, 128)
# one thread takes 0.24 ms forward and 0.43 ms backward of CPU, two threads 3x that CPU time
# (and the wall time of the slower thread when another process holds a core).
PARALLEL_MIN = 1 << 20


@njit(cache=True, error_model="numpy", inline="always")
def _block_sum(v, lo, hi, zero):
    """8 lanes over v[lo:hi] (lane p takes the elements p mod 8), combined as a tree, then
    the tail in order: the reductions' per-block arithmetic."""
    m = hi - lo
    m8 = lo + m - m % 8
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = zero
    for i in range(lo, m8, 8):
        a0 += v[i]
        a1 += v[i + 1]
        a2 += v[i + 2]
        a3 += v[i + 3]
        a4 += v[i + 4]
        a5 += v[i + 5]
        a6 += v[i + 6]
        a7 += v[i + 7]
    s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    for i in range(m8, hi):
        s += v[i]
    return s


@njit(cache=True, error_model="numpy")
def _row_sum(v, stack, zero):
    """Sum of the 1-D array v in the reductions' order (blocks merged by a binary counter)."""
    n = v.shape[0]
    if n == 0:
        return zero
    nb = (n + LANE_BLOCK - 1) // LANE_BLOCK
    if nb == 1:
        return _block_sum(v, 0, n, zero)
    top = 0
    for b in range(nb):
        lo = b * LANE_BLOCK
        s = _block_sum(v, lo, min(lo + LANE_BLOCK, n), zero)
        j = b
        while j & 1:
            top -= 1
            s = stack[top] + s
            j >>= 1
        stack[top] = s
        top += 1
    t = stack[top - 1]
    for k in range(top - 2, -1, -1):
        t = stack[k] + t
    return t


@njit(cache=True, error_model="numpy")
def _stats(xr, t, stack, dn, eps, zero, one):
    """t = x - mean (in t), returns rstd = 1 / sqrt(var + eps) of the row xr."""
    n = xr.shape[0]
    mean = _row_sum(xr, stack, zero) / dn
    for j in range(n):
        t[j] = xr[j] - mean
    # t2 reuses the tail of the scratch (t has 2n entries): squares of the deviations
    for j in range(n):
        t[n + j] = t[j] * t[j]
    var = _row_sum(t[n:], stack, zero) / dn
    return one / np.sqrt(var + eps)


@njit(cache=True, error_model="numpy")
def _fwd_block(x, gamma, beta, y, b, eps, dn, zero, one):
    rows, n = x.shape
    t = np.empty(2 * n, x.dtype)
    stack = np.empty(64, x.dtype)
    for r in range(b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, rows)):
        xr = x[r]
        yr = y[r]
        rstd = _stats(xr, t, stack, dn, eps, zero, one)
        for j in range(n):
            yr[j] = t[j] * rstd * gamma[j] + beta[j]


@njit(cache=True, error_model="numpy")
def _fwd_serial(x, gamma, beta, y, eps, dn, zero, one):
    nb = (x.shape[0] + BLOCK_ROWS - 1) // BLOCK_ROWS
    for b in range(nb):
        _fwd_block(x, gamma, beta, y, b, eps, dn, zero, one)


@njit(cache=True, error_model="numpy", parallel=True)
def _fwd_parallel(x, gamma, beta, y, eps, dn, zero, one):
    nb = (x.shape[0] + BLOCK_ROWS - 1) // BLOCK_ROWS
    for b in prange(nb):
        _fwd_block(x, gamma, beta, y, b, eps, dn, zero, one)


@njit(cache=True, error_model="numpy")
def _bwd_block(g, x, gamma, out, part, b, eps, dn, zero, one):
    """dx of the rows of block b into out[2:], the block's dgamma / dbeta sums into part[b]."""
    rows, n = x.shape
    t = np.empty(2 * n, x.dtype)
    gy = np.empty(2 * n, x.dtype)
    stack = np.empty(64, x.dtype)
    pg = part[b, 0]
    pb = part[b, 1]
    for j in range(n):
        pg[j] = zero
        pb[j] = zero
    for r in range(b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, rows)):
        gr = g[r]
        rstd = _stats(x[r], t, stack, dn, eps, zero, one)
        for j in range(n):
            xh = t[j] * rstd
            t[j] = xh
            gy[j] = gr[j] * gamma[j]
            gy[n + j] = gy[j] * xh
            pg[j] += gr[j] * xh
            pb[j] += gr[j]
        a = _row_sum(gy[:n], stack, zero) / dn
        c = _row_sum(gy[n:], stack, zero) / dn
        dx = out[r + 2]
        for j in range(n):
            dx[j] = (gy[j] - a - t[j] * c) * rstd


@njit(cache=True, error_model="numpy")
def _bwd_serial(g, x, gamma, out, part, eps, dn, zero, one):
    for b in range(part.shape[0]):
        _bwd_block(g, x, gamma, out, part, b, eps, dn, zero, one)


@njit(cache=True, error_model="numpy", parallel=True)
def _bwd_parallel(g, x, gamma, out, part, eps, dn, zero, one):
    for b in prange(part.shape[0]):
        _bwd_block(g, x, gamma, out, part, b, eps, dn, zero, one)


@njit(cache=True, error_model="numpy")
def _sum_parts(part, out):
    """out[0] = dgamma, out[1] = dbeta: the block partials added in block order."""
    n = out.shape[1]
    for k in range(2):
        o = out[k]
        for j in range(n):
            o[j] = part[0, k, j]
        for b in range(1, part.shape[0]):
            p = part[b, k]
            for j in range(n):
                o[j] += p[j]


def _parallel(size: int) -> bool:
    return size >= PARALLEL_MIN and _cpu_threads() > 1


def _vector(v, n: int, dt: np.dtype, default: float) -> np.ndarray:
    if v is None:
        return np.full(n, default, dt)
    return np.ascontiguousarray(v, dt).reshape(n)


def forward(x2: np.ndarray, gamma, beta, eps: float) -> np.ndarray:
    """y (rows, D) of layer norm over the last axis of x2 (rows, D); gamma/beta (D,) or None."""
    x2 = np.ascontiguousarray(x2)
    dt = x2.dtype
    rows, n = x2.shape
    y = np.empty((rows, n), dt)
    if y.size == 0:
        return y
    run = _fwd_parallel if _parallel(y.size) else _fwd_serial
    run(x2, _vector(gamma, n, dt, 1), _vector(beta, n, dt, 0), y, dt.type(eps),
        dt.type(n), dt.type(0), dt.type(1))  # fmt: skip
    return y


def backward(g2: np.ndarray, x2: np.ndarray, gamma, eps: float) -> np.ndarray:
    """(rows + 2, D): dgamma, dbeta, then dx (rows, D), for the cotangent g2 of forward's y."""
    x2 = np.ascontiguousarray(x2)
    g2 = np.ascontiguousarray(g2, x2.dtype)
    dt = x2.dtype
    rows, n = x2.shape
    out = np.empty((rows + 2, n), dt)
    if n == 0:
        return out
    nb = (rows + BLOCK_ROWS - 1) // BLOCK_ROWS
    if nb == 0:
        out[:2] = 0
        return out
    part = np.empty((nb, 2, n), dt)
    run = _bwd_parallel if _parallel(x2.size) else _bwd_serial
    run(g2, x2, _vector(gamma, n, dt, 1), out, part, dt.type(eps), dt.type(n),
        dt.type(0), dt.type(1))  # fmt: skip
    _sum_parts(part, out)
    return out
