"""Narrow-path drivers of the matmul kernels: products whose C is at most one vector wide.

With N <= VL (16 float32 columns on AVX-512) the packed path's MR x NR tile (NR = 2 VL) would
multiply zeros in half of its lanes; here a NARROW_MR x VL tile (one vector per row of C) runs
over row blocks of A read in place, against B packed once into a zero-padded K x VL panel.
Convolutions with 16 output channels are such products (patches @ filter, and the filter
gradient's patches^T @ output gradient). Per element it is the same FMA chain over k in order
as every other path, so the bits do not change; row blocks are split over threads, never k.
"""

import numpy as np
from numba import njit, prange

from .matmul_gemm import KC
from .matmul_ukernel import narrow_mr, tile_vl, ukernel_narrow


@njit(cache=True)
def _pack_b(b, bo, brs, bcs, N, K, bp):
    """op(B) (K x N, N <= VL) into bp as K rows of VL, zero-padded past N."""
    vl = tile_vl(bp)
    for k in range(K):
        for j in range(N):
            bp[k * vl + j] = b[bo + k * brs + j * bcs]
        for j in range(N, vl):
            bp[k * vl + j] = 0


@njit(cache=True)
def _tile(a, ao, ars, acs, bp, c, c0, M, N, K, i, ta, tc):
    """Rows i .. i + NARROW_MR of C (fewer at the bottom edge) over all K in KC blocks.

    A full tile reads A in place and, when C is exactly VL wide, writes C in place; an edge
    tile packs its A rows (zero rows below M) into ta and accumulates in tc, so edge rows
    follow the very chain of interior ones.
    """
    mr = narrow_mr(bp)
    vl = tile_vl(bp)
    rows = min(mr, M - i)
    full = rows == mr
    if not full:
        for k in range(K):
            for r in range(rows):
                ta[k * mr + r] = a[ao + (i + r) * ars + k * acs]
            for r in range(rows, mr):
                ta[k * mr + r] = 0
    direct_c = full and N == vl
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        load = 1 if pc > 0 else 0
        if full:
            asrc, aoff, lak, lar = a, ao + i * ars + pc * acs, acs, ars
        else:
            asrc, aoff, lak, lar = ta, pc * mr, mr, 1
        if direct_c:
            ukernel_narrow(kc, asrc, aoff, lak, lar, bp, pc * vl, vl, c, c0 + i * N, N, load)
        else:
            ukernel_narrow(kc, asrc, aoff, lak, lar, bp, pc * vl, vl, tc, 0, vl, load)
    if not direct_c:
        for r in range(rows):
            for j in range(N):
                c[c0 + (i + r) * N + j] = tc[r * vl + j]


@njit(cache=True)
def _scratch(c, K):
    mr = narrow_mr(c)
    vl = tile_vl(c)
    return np.empty(K * vl, c.dtype), np.empty(K * mr, c.dtype), np.empty(mr * vl, c.dtype)


@njit(cache=True)
def narrow_serial(a, aoffs, ars, acs, b, boffs, brs, bcs, c, M, N, K):
    """All batch items on one thread; B is repacked only when its batch offset changes."""
    bp, ta, tc = _scratch(c, K)
    mr = narrow_mr(c)
    for t in range(aoffs.shape[0]):
        if t == 0 or boffs[t] != boffs[t - 1]:
            _pack_b(b, boffs[t], brs, bcs, N, K, bp)
        for i in range(0, M, mr):
            _tile(a, aoffs[t], ars, acs, bp, c, t * M * N, M, N, K, i, ta, tc)


@njit(cache=True, parallel=True)
def narrow_parallel(a, aoffs, ars, acs, b, boffs, brs, bcs, c, M, N, K, nthreads):
    """Row blocks of each item spread over threads (a few contiguous chunks per thread)."""
    mr = narrow_mr(c)
    vl = tile_vl(c)
    tiles = (M + mr - 1) // mr
    chunks = min(tiles, 4 * nthreads)
    bp = np.empty(K * vl, c.dtype)
    for t in range(aoffs.shape[0]):
        _pack_b(b, boffs[t], brs, bcs, N, K, bp)
        for v in prange(chunks):
            ta = np.empty(K * mr, c.dtype)
            tc = np.empty(mr * vl, c.dtype)
            p0 = np.int64(v) * tiles // chunks  # prange indices may be unsigned: cast once
            p1 = (np.int64(v) + 1) * tiles // chunks
            for p in range(p0, p1):
                _tile(a, aoffs[t], ars, acs, bp, c, t * M * N, M, N, K, p * mr, ta, tc)
