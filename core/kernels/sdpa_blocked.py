"""Attention kernels over blocks of query rows, on the matmul register tile: the same bits.

`kernels.sdpa` carries one query row at a time through the attention chain; its dot products
are short vector loops that load and store their accumulators at every step, so they ran at
about a tenth of the FMA rate (3.8 ms forward, 10.2 ms backward for the bench Transformer's
(32, 4, 64, 32) attention, one thread). Here a block of NARROW_MR query rows (16 on AVX-512,
12 on AVX2) goes through each product of the chain at once on the narrow matmul micro-kernel,
whose accumulators stay in registers: scores (q * scale) k^T, the output w v, and in the
backward g v^T, gs k and the k and v gradients (chains over the query rows, continued from
block to block in row order). Each element is still one FMA chain over its k in order from
zero (or continued exactly from the stored partial), as in the row kernels, and the mask,
softmax and dropout are the row kernels' own per-row code, so every value is bitwise the row
kernels' (`tests/seq/test_sdpa_blocked.py`). Rows past the last full block, and shapes whose
head or key dimensions are not whole vectors, take the row kernels.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.core import config

from . import sdpa as rows
from .matmul_ukernel import NARROW_MR, TILES, fma, narrow_mr, tile_vl, ukernel_narrow
from .sdpa import add_mask, backward_rows, forward_rows, zero_entry
from .softmax import _bwd_row as softmax_grad_row
from .softmax import _fwd_row as softmax_row


@njit(cache=True, error_model="numpy")
def _scores(q3, ktf, m3, mrow, kind, b, r0, scale, zero, qsb, scb, wb):
    """qsb = q rows r0.. * scale, scb = qsb k^T + mask, wb = softmax(scb), per block row."""
    mr = narrow_mr(qsb)
    vl = tile_vl(qsb)
    d = q3.shape[2]
    source = scb.shape[0] // mr
    for r in range(mr):
        for j in range(d):
            qsb[r * d + j] = q3[b, r0 + r, j] * scale
    base = b * d * source
    for s0 in range(0, source, vl):
        ukernel_narrow(d, qsb, 0, 1, d, ktf, base + s0, source, scb, s0, source, 0)
    for r in range(mr):
        sc = scb[r * source : (r + 1) * source]
        add_mask(sc, m3, mrow, kind, b, r0 + r, zero)
        softmax_row(sc, wb[r * source : (r + 1) * source], zero, 0)


@njit(cache=True, error_model="numpy")
def _forward_block(q3, ktf, vf, m3, mrow, kind, drop3, dval, scale, zero, outf, b, r0, bufs):
    qsb, scb, wb = bufs
    mr = narrow_mr(qsb)
    vl = tile_vl(qsb)
    length, source = q3.shape[1], scb.shape[0] // mr
    dv = vf.shape[0] // (q3.shape[0] * source)
    _scores(q3, ktf, m3, mrow, kind, b, r0, scale, zero, qsb, scb, wb)
    if drop3.shape[1] > 0:  # weights * mask, the mask being 1/keep or 0
        for r in range(mr):
            for s in range(source):
                i = r * source + s
                wb[i] = wb[i] * (dval if drop3[b, r0 + r, s] else zero)
    for j0 in range(0, dv, vl):
        ukernel_narrow(source, wb, 0, 1, source, vf, b * source * dv + j0, dv,
                       outf, (b * length + r0) * dv + j0, dv, 0)  # fmt: skip


@njit(cache=True, error_model="numpy")
def _buffers(q3, source):
    mr = narrow_mr(q3)
    return (np.empty(mr * q3.shape[2], q3.dtype), np.empty(mr * source, q3.dtype),
            np.empty(mr * source, q3.dtype))  # fmt: skip


@njit(cache=True, error_model="numpy")
def _forward_task(q3, kt, ktf, v3, vf, m3, mrow, kind, drop3, dval, scale, zero, out, outf, t):
    mr = narrow_mr(q3)
    length = q3.shape[1]
    full = length // mr
    nb = full + (1 if length % mr else 0)
    b, blk = t // nb, t % nb
    if blk < full:
        bufs = _buffers(q3, kt.shape[2])
        _forward_block(q3, ktf, vf, m3, mrow, kind, drop3, dval, scale, zero, outf, b,
                       blk * mr, bufs)  # fmt: skip
    else:
        forward_rows(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, b, full * mr,
                     length)  # fmt: skip


@njit(cache=True, error_model="numpy")
def _forward_serial(q3, kt, ktf, v3, vf, m3, mrow, kind, drop3, dval, scale, zero, out, outf):
    mr = narrow_mr(q3)
    nb = (q3.shape[1] + mr - 1) // mr
    for t in range(q3.shape[0] * nb):
        _forward_task(q3, kt, ktf, v3, vf, m3, mrow, kind, drop3, dval, scale, zero, out,
                      outf, t)  # fmt: skip


@njit(cache=True, error_model="numpy", parallel=True)
def _forward_parallel(q3, kt, ktf, v3, vf, m3, mrow, kind, drop3, dval, scale, zero, out, outf):
    mr = narrow_mr(q3)
    nb = (q3.shape[1] + mr - 1) // mr
    for t in prange(q3.shape[0] * nb):
        _forward_task(q3, kt, ktf, v3, vf, m3, mrow, kind, drop3, dval, scale, zero, out,
                      outf, t)  # fmt: skip


@njit(cache=True, error_model="numpy")
def _chain_rows(a, mr, source, bf, bo, width, cf, co):
    """C rows s (source of them) += sum over the block's rows r in order of a[r, s] b[r, :].

    a is the block's (mr, source) matrix, b's row r is bf[bo + r * width ..] and C's row s is
    cf[co + s * width ..]; whole tiles of NARROW_MR rows of C on the micro-kernel, the rest
    scalar, every element one chain over r continued from C.
    """
    vl = tile_vl(a)
    tiles = source - source % mr
    for s0 in range(0, tiles, mr):
        for j0 in range(0, width, vl):
            ukernel_narrow(mr, a, s0, source, 1, bf, bo + j0, width,
                           cf, co + s0 * width + j0, width, 1)  # fmt: skip
    for s in range(tiles, source):
        for j in range(width):
            acc = cf[co + s * width + j]
            for r in range(mr):
                acc = fma(a[r * source + s], bf[bo + r * width + j], acc)
            cf[co + s * width + j] = acc


@njit(cache=True, error_model="numpy")
def _backward_entry(g3, gf, q3, k3, kf, kt, ktf, vt, vtf, m3, mrow, kind, drop3, dval, scale,
                    zero, gq, gk, gkf, gv, gvf, b):  # fmt: skip
    """Gradients of q, k, v for batch entry b: whole row blocks, then the rest row by row."""
    mr = narrow_mr(q3)
    vl = tile_vl(q3)
    length, d = q3.shape[1], q3.shape[2]
    source, dv = k3.shape[1], vt.shape[1]
    dropping = drop3.shape[1] > 0
    zero_entry(gk, gv, b, zero)
    qsb, scb, wb = _buffers(q3, source)
    gwb = np.empty(mr * source, q3.dtype)
    gsb = np.empty(mr * source, q3.dtype)
    accb = np.empty(mr * d, q3.dtype)
    full = length // mr
    for blk in range(full):
        r0 = blk * mr
        _scores(q3, ktf, m3, mrow, kind, b, r0, scale, zero, qsb, scb, wb)
        g0 = (b * length + r0) * dv
        for s0 in range(0, source, vl):  # d(out)/d(dropped weights) = g v^T, chains over dv
            ukernel_narrow(dv, gf, g0, 1, dv, vtf, b * dv * source + s0, source,
                           gwb, s0, source, 0)  # fmt: skip
        for i in range(mr * source):  # scb becomes the dropped weights v met
            if dropping:
                r, s = i // source, i % source
                mv = dval if drop3[b, r0 + r, s] else zero
                gwb[i] = gwb[i] * mv
                scb[i] = wb[i] * mv
            else:
                scb[i] = wb[i]
        _chain_rows(scb, mr, source, gf, g0, dv, gvf, b * source * dv)
        for r in range(mr):
            lo, hi = r * source, (r + 1) * source
            softmax_grad_row(wb[lo:hi], gwb[lo:hi], gsb[lo:hi], zero, 0)
        for j0 in range(0, d, vl):  # d(q * scale) = gs k, chains over the keys
            ukernel_narrow(source, gsb, 0, 1, source, kf, b * source * d + j0, d,
                           accb, j0, d, 0)  # fmt: skip
        _chain_rows(gsb, mr, source, qsb, 0, d, gkf, b * source * d)
        for r in range(mr):
            for j in range(d):
                gq[b, r0 + r, j] = accb[r * d + j] * scale
    backward_rows(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv, b,
                  full * mr, length)  # fmt: skip


@njit(cache=True, error_model="numpy")
def _backward_serial(g3, gf, q3, k3, kf, kt, ktf, vt, vtf, m3, mrow, kind, drop3, dval, scale,
                     zero, gq, gk, gkf, gv, gvf):  # fmt: skip
    for b in range(q3.shape[0]):
        _backward_entry(g3, gf, q3, k3, kf, kt, ktf, vt, vtf, m3, mrow, kind, drop3, dval,
                        scale, zero, gq, gk, gkf, gv, gvf, b)  # fmt: skip


@njit(cache=True, error_model="numpy", parallel=True)
def _backward_parallel(g3, gf, q3, k3, kf, kt, ktf, vt, vtf, m3, mrow, kind, drop3, dval, scale,
                       zero, gq, gk, gkf, gv, gvf):  # fmt: skip
    for b in prange(q3.shape[0]):
        _backward_entry(g3, gf, q3, k3, kf, kt, ktf, vt, vtf, m3, mrow, kind, drop3, dval,
                        scale, zero, gq, gk, gkf, gv, gvf, b)  # fmt: skip


def fits(dtype: np.dtype, length: int, d: int, dv: int, source: int) -> bool:
    """Whether the blocked kernels take these shapes (whole vectors, one whole row block)."""
    key = np.dtype(dtype).name
    if config.DISABLE_JIT or key not in TILES:  # the micro-kernel has no plain-Python form
        return False
    vl = TILES[key][2]
    return length >= NARROW_MR and source > 0 and d % vl == 0 and dv % vl == 0 and (
        source % vl == 0
    )  # fmt: skip


def forward(q, k, v, mask, drop, scale, has_mask, causal, keep=1.0) -> np.ndarray:
    """As `sdpa.forward` (the same bits), on row blocks when the shapes fit."""
    d, dv = q.shape[-1], v.shape[-1]
    length, source = q.shape[-2], k.shape[-2]
    if not fits(q.dtype, length, d, dv, source):
        return rows.forward(q, k, v, mask, drop, scale, has_mask, causal, keep)
    batch, n, q3, k3, v3, kind, m3, mrow, drop3, dval = rows.prepare(
        q, k, v, mask, drop, has_mask, causal, keep
    )
    dt = np.dtype(q.dtype)
    out = np.empty((n, length, dv), dt)
    if out.size == 0:
        return out.reshape(batch + out.shape[1:])
    kt = np.ascontiguousarray(np.swapaxes(k3, 1, 2))
    parallel = rows.parallel(n, length, source, d, dv)
    run = _forward_parallel if parallel else _forward_serial
    run(q3, kt, kt.reshape(-1), v3, v3.reshape(-1), m3, mrow, kind, drop3, dval, dt.type(scale),
        dt.type(0), out, out.reshape(-1))  # fmt: skip
    return out.reshape(batch + out.shape[1:])


def backward(g, q, k, v, mask, drop, scale, has_mask, causal, keep=1.0) -> np.ndarray:
    """As `sdpa.backward` (the same bits), on row blocks when the shapes fit."""
    d, dv = q.shape[-1], v.shape[-1]
    length, source = q.shape[-2], k.shape[-2]
    if not fits(q.dtype, length, d, dv, source):
        return rows.backward(g, q, k, v, mask, drop, scale, has_mask, causal, keep)
    batch, n, q3, k3, v3, kind, m3, mrow, drop3, dval = rows.prepare(
        q, k, v, mask, drop, has_mask, causal, keep
    )
    dt = np.dtype(q.dtype)
    if n == 0:
        return np.zeros((0, length * d + source * d + source * dv), dt)
    g3, kt, vt, gq, gk, gv = rows.backward_arrays(g, q3, k3, v3)
    parallel = rows.parallel(n, length, source, d, dv)
    run = _backward_parallel if parallel else _backward_serial
    run(g3, g3.reshape(-1), q3, k3, k3.reshape(-1), kt, kt.reshape(-1), vt, vt.reshape(-1), m3,
        mrow, kind, drop3, dval, dt.type(scale), dt.type(0), gq, gk, gk.reshape(-1), gv,
        gv.reshape(-1))  # fmt: skip
    return rows.packed_grads(gq, gk, gv)
