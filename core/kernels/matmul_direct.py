"""Direct-path drivers of the matmul kernels: at most MR rows of C, operands read in place.

Products whose C has at most MR rows (vector-matrix products) and whose op(B) rows are
unit-stride use B exactly once, so packing it would only add memory traffic, and padding
A to MR rows would multiply the arithmetic. An m-row micro-kernel reads op(A) and op(B)
in place (ldb = B's row stride); per element it is the same chain as the packed path
(matmul_gemm), so the bits are the same too.
"""

import numpy as np
from numba import njit, prange

from .matmul_gemm import KC, _cdiv
from .matmul_ukernel import rows_nv, tile_vl, ukernel_rows


@njit(cache=True)
def _uk_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, m):
    """ukernel_rows with the row count m turned into the compile-time constant it needs."""
    if m == 1:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 1)
    elif m == 2:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 2)
    elif m == 3:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 3)
    elif m == 4:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 4)
    elif m == 5:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 5)
    elif m == 6:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 6)
    elif m == 7:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 7)
    else:
        ukernel_rows(kc, ap, ao, lak, lar, bp, bo, ldb, c, co, ldc, load, 8)


@njit(cache=True)
def _direct_scratch(c, M, N, K):
    """Edge tile and packed partial B tile for the direct path."""
    nr = rows_nv(M) * tile_vl(c)
    return np.empty(M * nr, c.dtype), np.empty(K * nr if N % nr else 0, c.dtype)


@njit(cache=True)
def _direct_item(a, ao, ars, acs, b, bo, brs, c, c0, M, N, K, q0, q1, tmp, bq):
    """C column tiles [q0, q1) (each rows_nv(M) * VL wide) of one item with M <= MR rows."""
    nr = rows_nv(M) * tile_vl(c)
    jl = (N // nr) * nr  # start of the partial last tile
    if q1 * nr > N:
        # Packed, so that no vector load of the partial tile runs past a row of B.
        for k in range(K):
            for t in range(N - jl):
                bq[k * nr + t] = b[bo + k * brs + jl + t]
            for t in range(N - jl, nr):
                bq[k * nr + t] = 0
    # k blocks across all tiles keep each pass over B within a few hundred rows (pages).
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        load = 1 if pc > 0 else 0
        for q in range(q0, q1):
            j = q * nr
            cols = min(nr, N - j)
            edge = cols < nr
            src, so, ld, dst, do, ldc = b, bo + pc * brs + j, brs, c, c0 + j, N
            if edge:
                src, so, ld, dst, do, ldc = bq, pc * nr, nr, tmp, 0, nr
                if load:
                    for r in range(M):
                        for t in range(cols):
                            tmp[r * nr + t] = c[c0 + r * N + j + t]
            # A is read in place: exactly M rows, nothing to pad.
            _uk_rows(kc, a, ao + pc * acs, acs, ars, src, so, ld, dst, do, ldc, load, M)
            if edge:
                for r in range(M):
                    for t in range(cols):
                        c[c0 + r * N + j + t] = tmp[r * nr + t]


@njit(cache=True)
def direct_serial(a, aoffs, ars, acs, b, boffs, brs, c, M, N, K):
    """Direct path for all batch items on one thread."""
    nq = _cdiv(N, rows_nv(M) * tile_vl(c))
    tmp, bq = _direct_scratch(c, M, N, K)
    q0 = np.int64(0)  # not a literal 0, which would compile an extra variant
    for t in range(aoffs.shape[0]):
        _direct_item(
            a, aoffs[t], ars, acs, b, boffs[t], brs, c, t * M * N, M, N, K, q0, nq, tmp, bq
        )


@njit(cache=True, parallel=True)
def direct_parallel(a, aoffs, ars, acs, b, boffs, brs, c, M, N, K, nthreads):
    """Direct path with (batch item, group of column tiles) units spread over threads.

    Units go in a few contiguous chunks, so scratch is allocated per chunk, not per unit.
    """
    items = aoffs.shape[0]
    nq = _cdiv(N, rows_nv(M) * tile_vl(c))
    groups = min(nq, _cdiv(4 * nthreads, items))
    units = items * groups
    chunks = min(units, 4 * nthreads)
    for v in prange(chunks):
        tmp, bq = _direct_scratch(c, M, N, K)
        u0 = np.int64(v) * units // chunks  # prange indices may be unsigned: cast once
        u1 = (np.int64(v) + 1) * units // chunks
        for u in range(u0, u1):
            t = u // groups
            g = u - t * groups
            q0 = g * nq // groups
            q1 = (g + 1) * nq // groups
            _direct_item(
                a, aoffs[t], ars, acs, b, boffs[t], brs, c, t * M * N, M, N, K, q0, q1, tmp, bq
            )
