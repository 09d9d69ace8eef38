"""Packed-path drivers of the matmul kernels: packing, blocked loops, serial and parallel.

Operands arrive as flat 1-D read-only views plus element offsets and strides, so one
compiled specialisation per dtype covers every layout, transpose flag and broadcast.
Every C[i, j] is the FMA chain acc = fma(A[i, k], B[k, j], acc) for k = 0, 1, ..., K-1
starting from acc = 0; the blocking below only decides where that chain is paused
(stored to C between k blocks, which is exact) and which thread runs it.

B is packed into KC x NR micro-panels; A is read in place by the micro-kernel (row-major
or narrow products) or packed into MR x KC micro-panels; the output is cut into (A panel
group x B panel group) work items, the parallel grain. Products with at most MR rows of C
take the direct path instead (matmul_direct).
"""

import numpy as np
from numba import njit, prange

from .matmul_transpose import transpose_block
from .matmul_ukernel import tile_mr, tile_nr, tile_vl, ukernel, ukernel_packed

# k-block length: one packed B micro-panel (KC x NR) plus one A micro-panel stay in L1.
KC = 256
# Work-item size of the output grid, in micro-panels: about MC_PANELS * MR rows of A (KC
# deep) stay in L2 while NC_PANELS B micro-panels stream past them.
MC_PANELS = 16
NC_PANELS = 8
# Packed B holds at most this many elements; wider B is processed in column blocks.
B_PACK_ELEMS = 1 << 22


@njit(cache=True, inline="always")
def _cdiv(x, y):
    """Ceiling division of non-negative integers (inlined: no call, no literal variants)."""
    return (x + y - 1) // y


@njit(cache=True)
def _pack_a(a, off, rs, cs, M, K, ap, p):
    """Copy rows p*MR.. of op(A) into micro-panel p of ap, zero-padding rows past M.

    ap is laid out [k block][panel][k][r] so a k block of all panels is contiguous. The
    loops run along whichever axis of A is contiguous in memory (4x faster than a gather).
    """
    mr = tile_mr(ap)
    mpad = _cdiv(M, mr) * mr
    i0 = p * mr
    rows = min(mr, M - i0)
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        d = pc * mpad + p * kc * mr
        if cs == 1:
            for r in range(rows):
                # 0-based slices keep the loops free of negative-index checks (vectorise).
                src = a[off + (i0 + r) * rs + pc : off + (i0 + r) * rs + pc + kc]
                dst = ap[d + r : d + r + kc * mr]
                for k in range(kc):
                    dst[k * mr] = src[k]
        else:
            for k in range(kc):
                src = off + i0 * rs + (pc + k) * cs
                for r in range(rows):
                    ap[d + k * mr + r] = a[src + r * rs]
        for r in range(rows, mr):
            for k in range(kc):
                ap[d + k * mr + r] = 0


@njit(cache=True)
def _pack_b(b, off, rs, cs, N, K, bp, j0, nbpad, q):
    """Copy columns j0 + q*NR.. of op(B) into micro-panel q of bp, zero-padding past N.

    bp is laid out [k block][panel][k][c]; nbpad is the padded width of this column block.
    As in _pack_a, the loops follow the contiguous axis of B.
    """
    nr = tile_nr(bp)
    j = j0 + q * nr
    cols = min(nr, N - j)
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        d = pc * nbpad + q * kc * nr
        if cs == 1:
            for k in range(kc):
                src = b[off + (pc + k) * rs + j : off + (pc + k) * rs + j + cols]
                dst = bp[d + k * nr : d + k * nr + cols]
                for t in range(cols):
                    dst[t] = src[t]
        elif rs == 1:
            # B stored transposed (op(B) columns contiguous): whole VL x VL blocks through
            # vector registers, then the columns and k steps left over one by one
            vl = tile_vl(bp)
            tv = cols - cols % vl
            kv = kc - kc % vl
            for t0 in range(0, tv, vl):
                for k0 in range(0, kv, vl):
                    so = off + pc + k0 + (j + t0) * cs
                    transpose_block(b, so, cs, bp, d + k0 * nr + t0, nr)
            for t in range(cols):
                src = off + pc + (j + t) * cs
                for k in range(kv if t < tv else 0, kc):
                    bp[d + k * nr + t] = b[src + k]
        else:
            for t in range(cols):
                src = off + pc * rs + (j + t) * cs
                for k in range(kc):
                    bp[d + k * nr + t] = b[src + k * rs]
        for t in range(cols, nr):
            for k in range(kc):
                bp[d + k * nr + t] = 0


@njit(cache=True)
def _run_tiles(a, ao, ars, acs, ap, direct_a, bp, c, c0, M, N, K, nbpad, j0, p0, p1, q0, q1, tmp):
    """Compute C tiles of A panels [p0, p1) x B panels [q0, q1) of the current column block.

    Without direct_a every A panel comes from ap as laid out by _pack_a. With direct_a the
    full panels are read in place from op(A) (flat a at ao, strides ars, acs) and only a
    partial last panel comes from ap, packed alone as [k][r] over all K.
    """
    mr = tile_mr(ap)
    nr = tile_nr(bp)
    mpad = _cdiv(M, mr) * mr
    full = M // mr  # panels that have all MR rows
    for pc in range(0, K, KC):
        kc = min(KC, K - pc)
        load = 1 if pc > 0 else 0
        for q in range(q0, q1):
            j = j0 + q * nr
            cols = min(nr, N - j)
            bo = pc * nbpad + q * kc * nr
            for p in range(p0, p1):
                i = p * mr
                rows = min(mr, M - i)
                if direct_a and p < full:
                    asrc, aoff, lak, lar = a, ao + i * ars + pc * acs, acs, ars
                elif direct_a:
                    asrc, aoff, lak, lar = ap, pc * mr, mr, 1
                else:
                    asrc, aoff, lak, lar = ap, pc * mpad + p * kc * mr, mr, 1
                # Edge tiles run the very same micro-kernel on a padded scratch tile, so
                # edge elements follow exactly the chain of interior ones. (One call site
                # for both keeps the compiled code, and compile time, small.)
                edge = rows < mr or cols < nr
                dst, do, ld = c, c0 + i * N + j, N
                if edge:
                    dst, do, ld = tmp, 0, nr
                    if load:
                        for r in range(rows):
                            for t in range(cols):
                                tmp[r * nr + t] = c[c0 + (i + r) * N + j + t]
                if direct_a and p < full:
                    ukernel(kc, asrc, aoff, lak, lar, bp, bo, nr, dst, do, ld, load)
                else:
                    ukernel_packed(kc, ap, aoff, lak, lar, bp, bo, nr, dst, do, ld, load)
                if edge:
                    for r in range(rows):
                        for t in range(cols):
                            c[c0 + (i + r) * N + j + t] = tmp[r * nr + t]


@njit(cache=True)
def _col_block(N, K, nr):
    """Columns per column block, a multiple of NR that keeps packed B under B_PACK_ELEMS."""
    return max(nr, (B_PACK_ELEMS // max(K, 1)) // nr * nr)


@njit(cache=True)
def _prepare_a(a, ao, ars, acs, M, K, ap, direct_a):
    """Pack op(A) of one item: every panel, or with direct_a only a partial last panel."""
    mr = tile_mr(ap)
    if not direct_a:
        for p in range(_cdiv(M, mr)):
            _pack_a(a, ao, ars, acs, M, K, ap, p)
    elif M % mr:
        full = M // mr
        # Packed as a one-panel matrix of the remaining rows, i.e. [k][r] over all K.
        _pack_a(a, ao + full * mr * ars, ars, acs, M - full * mr, K, ap, np.int64(0))


@njit(cache=True)
def _scratch(a_like, M, N, K, direct_a):
    """Packed-A, packed-B and edge-tile buffers for an M x N x K product."""
    mr = tile_mr(a_like)
    nr = tile_nr(a_like)
    ncb = _col_block(N, K, nr)
    ap = np.empty((mr if direct_a else _cdiv(M, mr) * mr) * K, a_like.dtype)
    bp = np.empty(_cdiv(min(N, ncb), nr) * nr * K, a_like.dtype)
    return ap, bp, np.zeros(mr * nr, a_like.dtype)


@njit(cache=True)
def gemm_serial(a, ao, ars, acs, ap, direct_a, b, bo, brs, bcs, c, c0, M, N, K, bp, tmp):
    """One matrix, one thread, A already prepared in ap; bp and tmp are scratch."""
    nr = tile_nr(bp)
    npa = _cdiv(M, tile_mr(ap))
    ncb = _col_block(N, K, nr)
    # np.int64(0) rather than a literal 0: literal arguments would compile extra variants.
    zero = np.int64(0)
    for j0 in range(0, N, ncb):
        nq = _cdiv(min(ncb, N - j0), nr)
        for q in range(nq):
            _pack_b(b, bo, brs, bcs, N, K, bp, j0, nq * nr, q)
        # Groups of MC_PANELS A panels, as in the parallel grid, keep A's rows in L2.
        for p0 in range(0, npa, MC_PANELS):
            p1 = min(p0 + MC_PANELS, npa)
            nb = nq * nr
            _run_tiles(
                a, ao, ars, acs, ap, direct_a, bp, c, c0, M, N, K, nb, j0, p0, p1, zero, nq, tmp
            )


@njit(cache=True)
def batch_serial(a, aoffs, ars, acs, b, boffs, brs, bcs, c, M, N, K, direct_a):
    """All batch items on one thread; A is repacked only when its batch offset changes."""
    ap, bp, tmp = _scratch(c, M, N, K, direct_a)
    for t in range(aoffs.shape[0]):
        ao, bo, c0 = aoffs[t], boffs[t], t * M * N
        if t == 0 or ao != aoffs[t - 1]:
            _prepare_a(a, ao, ars, acs, M, K, ap, direct_a)
        gemm_serial(a, ao, ars, acs, ap, direct_a, b, bo, brs, bcs, c, c0, M, N, K, bp, tmp)


@njit(cache=True, parallel=True)
def batch_parallel(a, aoffs, ars, acs, b, boffs, brs, bcs, c, M, N, K, direct_a, nthreads):
    """Whole batch items spread over threads, each run serially.

    Items go in a few contiguous chunks, so scratch is allocated per chunk, not per item.
    """
    items = aoffs.shape[0]
    chunks = min(items, 4 * nthreads)
    for v in prange(chunks):
        ap, bp, tmp = _scratch(c, M, N, K, direct_a)
        t0 = np.int64(v) * items // chunks  # prange indices may be unsigned: cast once
        t1 = (np.int64(v) + 1) * items // chunks
        for t in range(t0, t1):
            ao, bo, c0 = aoffs[t], boffs[t], t * M * N
            if t == t0 or ao != aoffs[t - 1]:
                _prepare_a(a, ao, ars, acs, M, K, ap, direct_a)
            gemm_serial(a, ao, ars, acs, ap, direct_a, b, bo, brs, bcs, c, c0, M, N, K, bp, tmp)


@njit(cache=True)
def _grid(npa, nq, nthreads):
    """Split A panels into gi groups and B panels into gj groups, at least 2 items per thread."""
    gi = _cdiv(npa, MC_PANELS)
    gj = _cdiv(nq, NC_PANELS)
    while gi * gj < 2 * nthreads and (gi < npa or gj < nq):
        if (npa // gi >= nq // gj and gi < npa) or gj >= nq:
            gi += 1
        else:
            gj += 1
    return gi, gj


@njit(cache=True, parallel=True)
def gemm_parallel(a, ao, ars, acs, b, bo, brs, bcs, c, c0, M, N, K, direct_a, nthreads):
    """One matrix split over output tiles across threads; reductions are never split."""
    ap, bp, _ = _scratch(c, M, N, K, direct_a)
    mr = tile_mr(ap)
    nr = tile_nr(bp)
    npa = _cdiv(M, mr)
    ncb = _col_block(N, K, nr)
    if direct_a:
        _prepare_a(a, ao, ars, acs, M, K, ap, direct_a)
    for j0 in range(0, N, ncb):
        nq = _cdiv(min(ncb, N - j0), nr)
        na = npa if j0 == 0 and not direct_a else 0  # packed A serves every column block
        for u in prange(na + nq):
            t = np.int64(u)  # prange indices may be unsigned; keep one integer type throughout
            if t < na:
                _pack_a(a, ao, ars, acs, M, K, ap, t)
            else:
                _pack_b(b, bo, brs, bcs, N, K, bp, j0, nq * nr, t - na)
        gi, gj = _grid(npa, nq, nthreads)
        for u in prange(gi * gj):
            t = np.int64(u)
            ii = t // gj
            jj = t - ii * gj
            tmp = np.zeros(mr * nr, c.dtype)
            p0 = ii * npa // gi
            p1 = (ii + 1) * npa // gi
            q0 = jj * nq // gj
            q1 = (jj + 1) * nq // gj
            _run_tiles(
                a, ao, ars, acs, ap, direct_a, bp, c, c0, M, N, K, nq * nr, j0, p0, p1, q0, q1, tmp
            )


@njit(cache=True)
def batch_each_parallel(a, aoffs, ars, acs, b, boffs, brs, bcs, c, M, N, K, direct_a, nthreads):
    """Batch items one after another, each split across threads."""
    for t in range(aoffs.shape[0]):
        gemm_parallel(
            a, aoffs[t], ars, acs, b, boffs[t], brs, bcs, c, t * M * N, M, N, K, direct_a, nthreads
        )
