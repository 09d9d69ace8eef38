"""Training batch-norm kernels: per-channel statistics, normalise, and the backward's sums.

Data is seen as (O, C, I): channel axis in the middle, O the axes before it and I the axes after
it (NCHW is (N, C, H*W), NHWC is (N*H*W, C, 1), (N, C) is (N, C, 1)). Every per-channel sum runs
over the flat index j = o * I + i, which orders the elements as (n, h, w) in either layout, and
is defined on j alone: j is cut into chunks of CHUNK; inside a chunk element j adds into lane
j % 4 (in ascending j), the chunk's value is (lane0 + lane1) + (lane2 + lane3), and the chunks'
values are added in ascending order. Sums are float64 for float32 data too. So NCHW and NHWC, and
any number of threads, give the same bits. The variance of float32 data comes from one pass (the
float64 sums of x and x * x); float64 data takes a second pass over the centred values.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

__all__ = ["apply", "channel_sums", "stats", "stats_grad", "reduce_grad", "as_ocI"]

CHUNK = 2048  # elements of one channel per task (a multiple of the 4 lanes)
PARALLEL_MIN = 1 << 15  # elements; below it the serial loops run


def as_ocI(shape: tuple, axis: int) -> tuple[int, int, int]:
    """(O, C, I) of an array of `shape` with channels on `axis`."""
    o = math.prod(shape[:axis])
    i = math.prod(shape[axis + 1 :])
    return o, int(shape[axis]), i


@njit(cache=True, error_model="numpy")
def _chunk(a, ma, b, mb, c, k, C, I, J, out1, out2):
    """Chunk k of channel c: sum of (a - ma) and of (a - ma) * (b - mb), 4 lanes by j % 4."""
    j0 = k * CHUNK
    j1 = min(j0 + CHUNK, J)
    s0 = s1 = s2 = s3 = 0.0
    t0 = t1 = t2 = t3 = 0.0
    j = j0
    while j < j1:
        o = j // I
        i = j - o * I
        end = min(j1, j + (I - i))
        p = (o * C + c) * I + i
        # the run [j, end) is contiguous in memory: elements p .. p + end - j
        while j < end and (j & 3) != 0:
            u = np.float64(a[uint64(p)]) - ma
            w = u * (np.float64(b[uint64(p)]) - mb)
            lane = j & 3
            if lane == 1:
                s1 += u
                t1 += w
            elif lane == 2:
                s2 += u
                t2 += w
            else:
                s3 += u
                t3 += w
            j += 1
            p += 1
        quads = (end - j) >> 2
        for q in range(quads):
            pq = uint64(p + 4 * q)
            u0 = np.float64(a[pq]) - ma
            u1 = np.float64(a[pq + 1]) - ma
            u2 = np.float64(a[pq + 2]) - ma
            u3 = np.float64(a[pq + 3]) - ma
            s0 += u0
            s1 += u1
            s2 += u2
            s3 += u3
            t0 += u0 * (np.float64(b[pq]) - mb)
            t1 += u1 * (np.float64(b[pq + 1]) - mb)
            t2 += u2 * (np.float64(b[pq + 2]) - mb)
            t3 += u3 * (np.float64(b[pq + 3]) - mb)
        j += 4 * quads
        p += 4 * quads
        while j < end:
            u = np.float64(a[uint64(p)]) - ma
            w = u * (np.float64(b[uint64(p)]) - mb)
            lane = j & 3
            if lane == 0:
                s0 += u
                t0 += w
            elif lane == 1:
                s1 += u
                t1 += w
            else:
                s2 += u
                t2 += w
            j += 1
            p += 1
    out1[c, k] = (s0 + s1) + (s2 + s3)
    out2[c, k] = (t0 + t1) + (t2 + t3)


@njit(cache=True, error_model="numpy")
def _rows_chunk(a, ma, b, mb, k, C, J, out1, out2, lanes):
    """Chunk k of every channel when I == 1 (channels contiguous): lanes vectorise over c."""
    j0 = k * CHUNK
    j1 = min(j0 + CHUNK, J)
    lanes[:] = 0.0
    for j in range(j0, j1):
        lane = j & 3
        ls, lt = lanes[lane], lanes[4 + lane]
        row = j * C
        for c in range(C):
            u = np.float64(a[uint64(row + c)]) - ma[c]
            ls[c] += u
            lt[c] += u * (np.float64(b[uint64(row + c)]) - mb[c])
    for c in range(C):
        out1[c, k] = (lanes[0, c] + lanes[1, c]) + (lanes[2, c] + lanes[3, c])
        out2[c, k] = (lanes[4, c] + lanes[5, c]) + (lanes[6, c] + lanes[7, c])


@njit(cache=True, parallel=True, error_model="numpy")
def _sums_parallel(a, ma, b, mb, C, I, J, K, out1, out2):
    if I == 1:
        for k in prange(K):
            lanes = np.empty((8, C))
            _rows_chunk(a, ma, b, mb, np.int64(k), C, J, out1, out2, lanes)
    else:
        for t in prange(C * K):
            c = np.int64(t) // K
            _chunk(a, ma[c], b, mb[c], c, np.int64(t) - c * K, C, I, J, out1, out2)


@njit(cache=True, error_model="numpy")
def _sums_serial(a, ma, b, mb, C, I, J, K, out1, out2):
    if I == 1:
        lanes = np.empty((8, C))
        for k in range(K):
            _rows_chunk(a, ma, b, mb, k, C, J, out1, out2, lanes)
    else:
        for t in range(C * K):
            c = t // K
            _chunk(a, ma[c], b, mb[c], c, t - c * K, C, I, J, out1, out2)


def channel_sums(a, ma, b, mb, shape_ocI) -> tuple[np.ndarray, np.ndarray]:
    """Per channel, float64: (sum of (a - ma), sum of (a - ma) * (b - mb)) in the fixed order."""
    o, c, i = shape_ocI
    j = o * i
    k = max((j + CHUNK - 1) // CHUNK, 1)
    out1 = np.zeros((c, k))
    out2 = np.zeros((c, k))
    if j > 0 and c > 0:
        run = _sums_parallel if a.size >= PARALLEL_MIN else _sums_serial
        run(a.reshape(-1), ma, b.reshape(-1), mb, c, i, j, k, out1, out2)
    s1 = np.zeros(c)
    s2 = np.zeros(c)
    for kk in range(k):  # chunks in ascending order
        s1 += out1[:, kk]
        s2 += out2[:, kk]
    return s1, s2


def stats(x: np.ndarray, axis: int, eps: float) -> np.ndarray:
    """(3, C) rows mean, biased variance, 1 / sqrt(variance + eps), in x's dtype."""
    x = np.ascontiguousarray(x)
    oci = as_ocI(x.shape, axis)
    count = oci[0] * oci[2]
    zero = np.zeros(oci[1])
    total, sq = channel_sums(x, zero, x, zero, oci)
    mean = total / count if count else np.full(oci[1], np.nan)
    if x.dtype == np.float32:
        # one pass: float64 sums of x and x * x lose about mean**2 / var * 2**-52 of the
        # variance, far below float32's rounding unless |mean| / std is above ~1e4
        var = np.maximum(sq / count - mean * mean, 0.0) if count else mean
    else:  # float64 data: a second pass over the centred values keeps the variance exact
        _, sq = channel_sums(x, mean, x, mean, oci)
        var = sq / count if count else mean
    out = np.empty((3, oci[1]), x.dtype)
    out[0] = mean
    out[1] = var
    out[2] = 1.0 / np.sqrt(var + np.float64(eps))
    return out


def _vec(v: np.ndarray, c: int) -> np.ndarray:
    """A (C,) or 0-d operand as a float64 (C,) vector."""
    return np.broadcast_to(np.asarray(v, np.float64), (c,)).copy()


def apply(x, st, scale, offset, axis: int) -> np.ndarray:
    """(x - mean) * invstd * scale + offset with mean and invstd the rows 0 and 2 of st."""
    oci = as_ocI(x.shape, axis)
    mean, inv = st[0].astype(np.float64), st[2].astype(np.float64)
    a = inv * _vec(scale, oci[1])
    # centre first, so the one rounding is of (x - m) * a + b; x * a + (b - m * a) would add
    # the rounding of m * a
    return _centred(x, mean, a, _vec(offset, oci[1]), oci, x.dtype)


@njit(cache=True, parallel=True, error_model="numpy")
def _centred_parallel(x, m, a, b, C, I, out):
    rows = x.size // I
    for r in prange(rows):
        c = np.int64(r) % C
        mc, ac, bc = m[c], a[c], b[c]
        base = np.int64(r) * I
        for i in range(I):
            out[uint64(base + i)] = (np.float64(x[uint64(base + i)]) - mc) * ac + bc


@njit(cache=True, error_model="numpy")
def _centred_serial(x, m, a, b, C, I, out):
    rows = x.size // I
    for r in range(rows):
        c = r % C
        mc, ac, bc = m[c], a[c], b[c]
        base = r * I
        for i in range(I):
            out[uint64(base + i)] = (np.float64(x[uint64(base + i)]) - mc) * ac + bc


@njit(cache=True, parallel=True, error_model="numpy")
def _centred_rows_parallel(x, m, a, b, C, out):
    rows = x.size // C
    for r in prange(rows):
        base = np.int64(r) * C
        for c in range(C):
            out[uint64(base + c)] = (np.float64(x[uint64(base + c)]) - m[c]) * a[c] + b[c]


@njit(cache=True, error_model="numpy")
def _centred_rows_serial(x, m, a, b, C, out):
    rows = x.size // C
    for r in range(rows):
        base = r * C
        for c in range(C):
            out[uint64(base + c)] = (np.float64(x[uint64(base + c)]) - m[c]) * a[c] + b[c]


def _centred(x, m, a, b, oci, dtype) -> np.ndarray:
    """(x - m[c]) * a[c] + b[c] per channel, in float64, rounded once to dtype."""
    out = np.empty(x.shape, dtype)
    if x.size == 0:
        return out
    _, c, i = oci
    flat, o = np.ascontiguousarray(x).reshape(-1), out.reshape(-1)
    big = x.size >= PARALLEL_MIN
    if i == 1:
        (_centred_rows_parallel if big else _centred_rows_serial)(flat, m, a, b, c, o)
    else:
        (_centred_parallel if big else _centred_serial)(flat, m, a, b, c, i, o)
    return out


def reduce_grad(g, x, st, axis: int) -> np.ndarray:
    """(3, C) rows: sum g, sum g * (x - mean) * invstd, sum g * (x - mean), in x's dtype."""
    g, x = np.ascontiguousarray(g), np.ascontiguousarray(x)
    oci = as_ocI(x.shape, axis)
    zero = np.zeros(oci[1])
    mean = st[0].astype(np.float64)
    sg, sgx = channel_sums(g, zero, x, mean, oci)
    out = np.empty((3, oci[1]), x.dtype)
    out[0] = sg
    out[1] = sgx * st[2].astype(np.float64)
    out[2] = sgx
    return out


def stats_grad(gst, x, st, axis: int) -> np.ndarray:
    """The cotangent of x from the cotangents of (mean, variance, invstd) rows of `st`."""
    x = np.ascontiguousarray(x)
    oci = as_ocI(x.shape, axis)
    count = max(oci[0] * oci[2], 1)
    g = np.asarray(gst, np.float64)
    inv = st[2].astype(np.float64)
    # d invstd / d var = -invstd**3 / 2; d var / d x = 2 (x - mean) / count
    gvar = g[1] - 0.5 * g[2] * inv * inv * inv
    return _centred(x, st[0].astype(np.float64), 2.0 * gvar / count, g[0] / count, oci, x.dtype)
