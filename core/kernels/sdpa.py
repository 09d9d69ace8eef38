"""Blocked scaled-dot-product attention: forward and backward over a block of heads at a time.

The composed attention (`core.functional.scaled_dot_product_attention`) materialises the
scores and weights of every batch entry and head at once, (..., L, S) each, and keeps them for
backward. Here the batch-and-head slices run in blocks of at most BLOCK score elements (and a
slice larger than that, forward, in blocks of query rows): each block runs the very kernels of
the composed form in its order (scale, q k^T, + mask, softmax, @ v) and backward recomputes a
block's weights and runs the composed form's VJP rules on it. Every slice (and every query row)
of those kernels is computed independently of the others, so the results are the composed
form's bits, while at most one block of scores exists at a time and nothing of size L x S is
kept between forward and backward.
"""

from __future__ import annotations

import numpy as np

from ..primitives.elementwise import add, mul, scalar, where
from ..primitives.linalg import _matmul_vjp, matmul
from ..primitives.nn import softmax, softmax_grad

BLOCK = 1 << 16  # score elements per block


def _additive(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A bool mask (True = masked out) as 0 / -inf, as the composed form's additive_mask."""
    if mask.dtype == np.bool_:
        return where(mask, scalar(-np.inf, like), scalar(0, like))
    return mask


def causal_additive(length: int, source: int, dt: np.dtype) -> np.ndarray:
    """0 on and below the diagonal, -inf above it (top-left aligned, as PyTorch's is_causal)."""
    return np.triu(np.full((length, source), -np.inf, dt), 1)


def _prepare(q, k, v, mask, has_mask: bool, causal: bool):
    batch = q.shape[:-2]
    n = int(np.prod(batch)) if batch else 1
    length, d = q.shape[-2:]
    source = k.shape[-2]
    q3 = q.reshape(n, length, d)
    k3 = k.reshape(n, source, k.shape[-1])
    v3 = v.reshape(n, source, v.shape[-1])
    m = None
    if has_mask:
        m = np.broadcast_to(mask, batch + (length, source))
    elif causal:
        m = causal_additive(length, source, q.dtype)
    return batch, n, length, source, q3, k3, v3, m


def _mask_block(m, batch: tuple, idx: np.ndarray, rows: slice):
    """The mask of slices `idx` (flat) and query rows `rows`, or None."""
    if m is None:
        return None
    if m.ndim == 2:  # causal
        return m[rows]
    multi = np.unravel_index(idx, batch) if batch else ()
    return m[multi + (rows,)] if batch else m[rows][None]


def _scores(qb, kb, mb, s: float):
    scores = matmul(mul(qb, scalar(s, qb)), kb, transpose_b=True)
    if mb is not None:
        scores = add(scores, _additive(np.asarray(mb), scores))
    return scores


def forward(q, k, v, mask, scale: float, has_mask: bool, causal: bool) -> np.ndarray:
    """softmax((q * scale) k^T + mask) v over the last two axes, block by block."""
    batch, n, length, source, q3, k3, v3, m = _prepare(q, k, v, mask, has_mask, causal)
    out = np.empty((n, length, v.shape[-1]), q.dtype)
    if out.size == 0:
        return out.reshape(batch + out.shape[1:])
    per = max(1, BLOCK // max(1, length * source))  # slices per block
    rows = max(1, BLOCK // max(1, source)) if per == 1 else length  # query rows per block
    for start in range(0, n, per):
        idx = np.arange(start, min(n, start + per))
        sl = slice(start, start + len(idx))
        for r0 in range(0, length, rows):
            r = slice(r0, min(length, r0 + rows))
            w = softmax(_scores(q3[sl, r], k3[sl], _mask_block(m, batch, idx, r), scale), -1)
            out[sl, r] = matmul(w, v3[sl])
    return out.reshape(batch + out.shape[1:])


def backward(g, q, k, v, mask, scale: float, has_mask: bool, causal: bool) -> np.ndarray:
    """(N, L*d + S*d + S*dv): per flattened batch entry its dq, dk and dv, block by block."""
    batch, n, length, source, q3, k3, v3, m = _prepare(q, k, v, mask, has_mask, causal)
    d, dv_w = q.shape[-1], v.shape[-1]
    g3 = g.reshape(n, length, dv_w)
    res = np.empty((n, length * d + source * d + source * dv_w), q.dtype)
    per = max(1, BLOCK // max(1, length * source))
    both = (True, True)
    for start in range(0, n, per):
        idx = np.arange(start, min(n, start + per))
        sl = slice(start, start + len(idx))
        qb, kb, vb = q3[sl], k3[sl], v3[sl]
        qs = mul(qb, scalar(scale, qb))
        raw = matmul(qs, kb, transpose_b=True)
        mb = _mask_block(m, batch, idx, slice(None))
        scores = raw if mb is None else add(raw, _additive(np.asarray(mb), raw))
        w = softmax(scores, -1)
        # the composed form's reverse sweep: matmul(w, v), softmax, q k^T, q * scale
        gw, gv = _matmul_vjp(g3[sl], None, w, vb, both, False, False)
        gs = softmax_grad(w, gw, -1)
        gqs, gk = _matmul_vjp(gs, None, qs, kb, both, False, True)
        gq = mul(gqs, scalar(scale, qb))
        b = len(idx)
        res[sl] = np.concatenate([gq.reshape(b, -1), gk.reshape(b, -1), gv.reshape(b, -1)], axis=1)
    return res
