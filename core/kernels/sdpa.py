"""Scaled-dot-product attention as one compiled kernel forward and one backward.

The composed attention (`core.functional.scaled_dot_product_attention`) materialises the
scores and weights of every batch entry and head at once, (..., L, S) each, and keeps them for
backward. Here each query row is carried through the whole chain by itself, (q * scale) k^T,
+ mask, softmax, (dropout), @ v, with the composed kernels' exact arithmetic: every dot product
is the matmul kernels' chain acc = fma(a[i, k], b[k, j], acc) over k in order from 0, the
softmax is the softmax kernel's own row function (max, the shared float32 exp, the 8-lane sum,
the division), and the scale, mask and dropout are the same single roundings. So the results
are the composed form's bits while a thread holds one row of scores at a time and nothing of
size L x S is kept between forward and backward (except a dropout mask, drawn as the composed
form draws it, one byte per score).

Forward runs (batch entry, block of ROWS query rows) tasks in parallel. Backward runs one task
per batch entry: the gradients of k and v are chains over the query rows in order (as
w^T @ g and gs^T @ (q * scale) are in the composed form), so a batch entry's rows run in order
on one thread, carrying those accumulators; its q gradient is a chain over keys per row.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cpu_share import threads as _cpu_threads
from .matmul_ukernel import fma

# the softmax kernel's own row functions: the composed form's arithmetic, order and exp (float32:
# vecmath_f32's exp, inlined here, so numba's cache of this file must follow any change to it)
from .softmax import _bwd_row as softmax_grad_row
from .softmax import _fwd_row as softmax_row

NONE, BOOL, ADDITIVE, CAUSAL = 0, 1, 2, 3
ROWS = 16  # query rows per forward task
# Below this many multiply-adds the kernels run on one thread (a parallel region costs more).
PARALLEL_MIN_WORK = 1 << 18


def causal_additive(length: int, source: int, dt: np.dtype) -> np.ndarray:
    """0 on and below the diagonal, -inf above it (top-left aligned, as PyTorch's is_causal)."""
    return np.triu(np.full((length, source), -np.inf, dt), 1)


@njit(cache=True, error_model="numpy")
def _weights_row(q3, kt, m3, mrow, kind, b, row, scale, zero, qs, sc, w):
    """qs = q[b, row] * scale, sc = qs k^T + mask, w = softmax(sc), as the composed kernels."""
    d = qs.shape[0]
    source = sc.shape[0]
    for j in range(d):
        qs[j] = q3[b, row, j] * scale
    for s in range(source):
        sc[s] = zero
    # k outermost: each sc[s] is its own chain over j in order. Four links of the chain per
    # pass over sc (still in order) keep the short inner loop's fixed cost off each link.
    kb = kt[b]
    j4 = d - d % 4
    for j in range(0, j4, 4):
        x0, x1, x2, x3 = qs[j], qs[j + 1], qs[j + 2], qs[j + 3]
        k0, k1, k2, k3 = kb[j], kb[j + 1], kb[j + 2], kb[j + 3]
        for s in range(source):
            sc[s] = fma(x3, k3[s], fma(x2, k2[s], fma(x1, k1[s], fma(x0, k0[s], sc[s]))))
    for j in range(j4, d):
        x = qs[j]
        ktj = kb[j]
        for s in range(source):
            sc[s] = fma(x, ktj[s], sc[s])
    add_mask(sc, m3, mrow, kind, b, row, zero)
    softmax_row(sc, w, zero, 0)


@njit(cache=True, error_model="numpy")
def add_mask(sc, m3, mrow, kind, b, row, zero):
    """sc += the mask's row `row` of batch entry b (causal, bool or additive), one rounding."""
    source = sc.shape[0]
    if kind == CAUSAL:
        ninf = -np.inf
        for s in range(source):
            sc[s] = sc[s] + (ninf if s > row else zero)
    elif kind != NONE:
        mr = m3[mrow[b], row if m3.shape[1] > 1 else 0]
        wide = mr.shape[0] > 1
        ninf = -np.inf
        for s in range(source):
            mv = mr[s if wide else 0]
            if kind == BOOL:
                sc[s] = sc[s] + (ninf if mv else zero)
            else:
                sc[s] = sc[s] + mv


@njit(cache=True, error_model="numpy")
def forward_rows(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, b, r0, r1):
    d = q3.shape[2]
    source = kt.shape[2]
    dv = v3.shape[2]
    dropping = drop3.shape[1] > 0
    qs = np.empty(d, out.dtype)
    sc = np.empty(source, out.dtype)
    w = np.empty(source, out.dtype)
    for row in range(r0, r1):
        _weights_row(q3, kt, m3, mrow, kind, b, row, scale, zero, qs, sc, w)
        if dropping:  # weights * mask, the mask being 1/keep or 0
            for s in range(source):
                w[s] = w[s] * (dval if drop3[b, row, s] else zero)
        o = out[b, row]
        for j in range(dv):
            o[j] = zero
        vb = v3[b]
        s4 = source - source % 4  # four links of each o[j]'s chain over s per pass, in order
        for s in range(0, s4, 4):
            w0, w1, w2, w3 = w[s], w[s + 1], w[s + 2], w[s + 3]
            v0, v1, v2, v3_ = vb[s], vb[s + 1], vb[s + 2], vb[s + 3]
            for j in range(dv):
                o[j] = fma(w3, v3_[j], fma(w2, v2[j], fma(w1, v1[j], fma(w0, v0[j], o[j]))))
        for s in range(s4, source):
            x = w[s]
            vs = vb[s]
            for j in range(dv):
                o[j] = fma(x, vs[j], o[j])


@njit(cache=True, error_model="numpy")
def _forward_serial(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, rows):
    length = q3.shape[1]
    nb = (length + rows - 1) // rows
    for t in range(q3.shape[0] * nb):
        b, r0 = t // nb, (t % nb) * rows
        forward_rows(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, b, r0,
                      min(length, r0 + rows))  # fmt: skip


@njit(cache=True, error_model="numpy", parallel=True)
def _forward_parallel(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, rows):
    length = q3.shape[1]
    nb = (length + rows - 1) // rows
    for t in prange(q3.shape[0] * nb):
        b, r0 = t // nb, (t % nb) * rows
        forward_rows(q3, kt, v3, m3, mrow, kind, drop3, dval, scale, zero, out, b, r0,
                      min(length, r0 + rows))  # fmt: skip


@njit(cache=True, error_model="numpy")
def _backward_entry(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv, b):
    """Gradients of q, k, v for batch entry b: the composed form's reverse sweep, row by row."""
    zero_entry(gk, gv, b, zero)
    backward_rows(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv, b,
                  0, q3.shape[1])  # fmt: skip


@njit(cache=True, error_model="numpy")
def zero_entry(gk, gv, b, zero):
    """Start batch entry b's k and v gradients (chains over the query rows) from zero."""
    gkb, gvb = gk[b], gv[b]
    for s in range(gkb.shape[0]):
        for j in range(gkb.shape[1]):
            gkb[s, j] = zero
        for j in range(gvb.shape[1]):
            gvb[s, j] = zero


@njit(cache=True, error_model="numpy")
def backward_rows(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv, b,
                  r0, r1):  # fmt: skip
    """Rows r0 .. r1 of batch entry b, in order, continuing the k and v gradients' chains."""
    d = q3.shape[2]
    source, dv = k3.shape[1], vt.shape[1]
    dropping = drop3.shape[1] > 0
    qs = np.empty(d, gq.dtype)
    sc = np.empty(source, gq.dtype)
    w = np.empty(source, gq.dtype)
    gw = np.empty(source, gq.dtype)
    gs = np.empty(source, gq.dtype)
    acc = np.empty(d, gq.dtype)
    j4v = dv - dv % 4
    s4 = source - source % 4
    gkb, gvb = gk[b], gv[b]
    for row in range(r0, r1):
        _weights_row(q3, kt, m3, mrow, kind, b, row, scale, zero, qs, sc, w)
        g = g3[b, row]
        for s in range(source):  # d(out)/d(dropped weights) = g v^T: a chain over dv
            gw[s] = zero
        vtb = vt[b]
        for j in range(0, j4v, 4):  # four links per pass, in order (as in _weights_row)
            x0, x1, x2, x3 = g[j], g[j + 1], g[j + 2], g[j + 3]
            t0, t1, t2, t3 = vtb[j], vtb[j + 1], vtb[j + 2], vtb[j + 3]
            for s in range(source):
                gw[s] = fma(x3, t3[s], fma(x2, t2[s], fma(x1, t1[s], fma(x0, t0[s], gw[s]))))
        for j in range(j4v, dv):
            x = g[j]
            vtj = vtb[j]
            for s in range(source):
                gw[s] = fma(x, vtj[s], gw[s])
        if dropping:  # dropped = w * mask: its gradient is gw * mask; v meets the dropped w
            for s in range(source):
                mv = dval if drop3[b, row, s] else zero
                gw[s] = gw[s] * mv
                sc[s] = w[s] * mv
        else:
            for s in range(source):
                sc[s] = w[s]
        for s in range(source):  # gv += dropped^T g, continuing each chain over the rows
            x = sc[s]
            gvs = gvb[s]
            for j in range(dv):
                gvs[j] = fma(x, g[j], gvs[j])
        softmax_grad_row(w, gw, gs, zero, 0)
        for j in range(d):
            acc[j] = zero
        kb = k3[b]
        for s in range(0, s4, 4):  # d(q * scale) = gs k, a chain over the keys, four per pass
            x0, x1, x2, x3 = gs[s], gs[s + 1], gs[s + 2], gs[s + 3]
            k0, k1, k2, k3_ = kb[s], kb[s + 1], kb[s + 2], kb[s + 3]
            for j in range(d):
                acc[j] = fma(x3, k3_[j], fma(x2, k2[j], fma(x1, k1[j], fma(x0, k0[j], acc[j]))))
        for s in range(s4, source):
            x = gs[s]
            ks = kb[s]
            for j in range(d):
                acc[j] = fma(x, ks[j], acc[j])
        for s in range(source):  # gk += gs^T (q * scale), each element's chain over the rows
            x = gs[s]
            gks = gkb[s]
            for j in range(d):
                gks[j] = fma(x, qs[j], gks[j])
        for j in range(d):
            gq[b, row, j] = acc[j] * scale


@njit(cache=True, error_model="numpy")
def _backward_serial(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv):
    for b in range(q3.shape[0]):
        _backward_entry(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero,
                        gq, gk, gv, b)  # fmt: skip


@njit(cache=True, error_model="numpy", parallel=True)
def _backward_parallel(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero, gq, gk, gv):
    for b in prange(q3.shape[0]):
        _backward_entry(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, scale, zero,
                        gq, gk, gv, b)  # fmt: skip


def _mask_operands(mask, has_mask: bool, causal: bool, batch: tuple, dt: np.dtype):
    """(kind, mask as (slices, Lm, Sm), the mask slice of each flattened batch entry)."""
    if not has_mask:
        kind = CAUSAL if causal else NONE
        return kind, np.zeros((1, 1, 1), dt), np.zeros(1, np.int64)
    m = np.asarray(mask)
    nd = len(batch) + 2
    m = m.reshape((1,) * (nd - m.ndim) + m.shape)
    lead = m.shape[:-2]
    m3 = np.ascontiguousarray(m).reshape((-1,) + m.shape[-2:])
    ids = np.arange(m3.shape[0], dtype=np.int64).reshape(lead)
    mrow = np.ascontiguousarray(np.broadcast_to(ids, batch)).reshape(-1)
    return (BOOL if m.dtype == np.bool_ else ADDITIVE), m3, mrow


def prepare(q, k, v, mask, drop, has_mask: bool, causal: bool, keep: float):
    """The kernels' operands: q, k, v as (n, rows, width), the mask's kind and slices, dropout."""
    batch = q.shape[:-2]
    n = int(np.prod(batch)) if batch else 1
    dt = np.dtype(q.dtype)
    q3 = np.ascontiguousarray(q).reshape((n,) + q.shape[-2:])
    k3 = np.ascontiguousarray(k).reshape((n,) + k.shape[-2:])
    v3 = np.ascontiguousarray(v).reshape((n,) + v.shape[-2:])
    kind, m3, mrow = _mask_operands(mask, has_mask, causal, batch, dt)
    if keep < 1.0:
        drop3 = np.ascontiguousarray(drop, np.bool_).reshape(n, q.shape[-2], k.shape[-2])
        dval = dt.type(1) / dt.type(keep)  # the composed mask's value: 1.0 / keep in dtype
    else:
        drop3, dval = np.zeros((1, 0, 0), np.bool_), dt.type(1)
    return batch, n, q3, k3, v3, kind, m3, mrow, drop3, dval


def parallel(n: int, length: int, source: int, d: int, dv: int) -> bool:
    """Whether attention of this size is worth a parallel region now."""
    return n * length * source * (d + dv) >= PARALLEL_MIN_WORK and _cpu_threads() > 1


def forward(q, k, v, mask, drop, scale, has_mask, causal, keep=1.0) -> np.ndarray:
    """softmax((q * scale) k^T + mask) [* dropout] v over the last two axes."""
    batch, n, q3, k3, v3, kind, m3, mrow, drop3, dval = prepare(
        q, k, v, mask, drop, has_mask, causal, keep
    )
    dt = np.dtype(q.dtype)
    length, source, d, dv = q3.shape[1], k3.shape[1], q3.shape[2], v3.shape[2]
    out = np.zeros((n, length, dv), dt)
    if out.size == 0 or source == 0:  # an empty softmax: the composed form gives zeros
        return out.reshape(batch + out.shape[1:])
    kt = np.ascontiguousarray(np.swapaxes(k3, 1, 2))
    run = _forward_parallel if parallel(n, length, source, d, dv) else _forward_serial
    run(q3, kt, v3, m3, mrow, kind, drop3, dval, dt.type(scale), dt.type(0), out, max(1, ROWS))
    return out.reshape(batch + out.shape[1:])


def backward(g, q, k, v, mask, drop, scale, has_mask, causal, keep=1.0) -> np.ndarray:
    """(N, L*d + S*d + S*dv): per flattened batch entry its dq, dk and dv."""
    batch, n, q3, k3, v3, kind, m3, mrow, drop3, dval = prepare(
        q, k, v, mask, drop, has_mask, causal, keep
    )
    dt = np.dtype(q.dtype)
    length, source, d, dv = q3.shape[1], k3.shape[1], q3.shape[2], v3.shape[2]
    if n * (length * d + source * d + source * dv) == 0 or source == 0 or length == 0:
        return np.zeros((n, length * d + source * d + source * dv), dt)
    g3, kt, vt, gq, gk, gv = backward_arrays(g, q3, k3, v3)
    run = _backward_parallel if parallel(n, length, source, d, dv) else _backward_serial
    run(g3, q3, k3, kt, vt, m3, mrow, kind, drop3, dval, dt.type(scale), dt.type(0), gq, gk, gv)
    return packed_grads(gq, gk, gv)


def backward_arrays(g, q3, k3, v3) -> tuple:
    """The backward's operands and outputs: g as (n, L, dv), k^T, v^T, and empty dq, dk, dv."""
    dt = q3.dtype
    n, length, dv = q3.shape[0], q3.shape[1], v3.shape[2]
    g3 = np.ascontiguousarray(g, dt).reshape(n, length, dv)
    kt = np.ascontiguousarray(np.swapaxes(k3, 1, 2))
    vt = np.ascontiguousarray(np.swapaxes(v3, 1, 2))
    return g3, kt, vt, np.empty(q3.shape, dt), np.empty(k3.shape, dt), np.empty(v3.shape, dt)


def packed_grads(gq, gk, gv) -> np.ndarray:
    """(n, L*d + S*d + S*dv): each flattened batch entry's dq, dk and dv side by side."""
    n = gq.shape[0]
    return np.concatenate([gq.reshape(n, -1), gk.reshape(n, -1), gv.reshape(n, -1)], axis=1)
