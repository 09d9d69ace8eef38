"""CTC loss kernels: the forward-backward recursion, parallel over the batch.

Each batch element is independent, so `prange` splits the batch (never a reduction): every
loss and gradient entry is summed in a fixed order whatever the thread count. Sums run in
float64 and are rounded once into the operand dtype.

The fast path runs the recursion in linear space, rescaled every frame (Rabiner's scaling):
each frame's probabilities of the classes in the labels are taken relative to the best of them
(a few exps per frame instead of three exps and a log per state), each row of alpha/beta is
divided by its maximum and the log of the scale is carried; only the states that are reachable
and can still reach the end are computed. A value that falls under `_TINY` (an absolute
probability under e^-690) is dropped and counted. When the loss is large enough for the
dropped mass to matter (`_exact_enough`), when no way to the end survives, or when a gradient
factor would overflow, the batch element is recomputed by the plain log-space recursion.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_NEG_INF = -np.inf


@njit(cache=True, inline="always")
def _lse2(a: float, b: float) -> float:
    m = max(a, b)
    if m == _NEG_INF:
        return _NEG_INF
    return m + math.log(math.exp(a - m) + math.exp(b - m))


@njit(cache=True, inline="always")
def _lse3(a: float, b: float, c: float) -> float:
    m = max(a, max(b, c))
    if m == _NEG_INF:
        return _NEG_INF
    return m + math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m))


@njit(cache=True)
def _extended(targets, n, tlen, blank, collapse):
    """The label sequence with blanks around every label (optionally repeats collapsed first)."""
    lab = np.empty(max(tlen, 1), np.int64)
    k = 0
    for i in range(tlen):
        c = targets[n, i]
        if collapse and k > 0 and lab[k - 1] == c:
            continue
        lab[k] = c
        k += 1
    ext = np.empty(2 * k + 1, np.int64)
    for s in range(2 * k + 1):
        ext[s] = blank if s % 2 == 0 else lab[(s - 1) // 2]
    return ext


@njit(cache=True)
def _alpha(lp, n, tin, ext, merge):
    L = ext.shape[0]
    a = np.full((max(tin, 1), L), _NEG_INF)
    if tin == 0:
        return a
    a[0, 0] = lp[0, n, ext[0]]
    if L > 1:
        a[0, 1] = lp[0, n, ext[1]]
    for t in range(1, tin):
        for s in range(L):
            c = ext[s]
            # one log-sum-exp over the (up to) three predecessors: stay, step, skip a blank
            v0 = a[t - 1, s] if (merge or s % 2 == 0) else _NEG_INF
            v1 = a[t - 1, s - 1] if s >= 1 else _NEG_INF
            v2 = _NEG_INF
            if s >= 2 and s % 2 == 1 and (ext[s - 2] != c or not merge):
                v2 = a[t - 1, s - 2]
            v = _lse3(v0, v1, v2)
            a[t, s] = v + lp[t, n, c] if v != _NEG_INF else _NEG_INF
    return a


@njit(cache=True)
def _beta(lp, n, tin, ext, merge):
    L = ext.shape[0]
    b = np.full((max(tin, 1), L), _NEG_INF)
    if tin == 0:
        return b
    b[tin - 1, L - 1] = lp[tin - 1, n, ext[L - 1]]
    if L > 1:
        b[tin - 1, L - 2] = lp[tin - 1, n, ext[L - 2]]
    for t in range(tin - 2, -1, -1):
        for s in range(L):
            c = ext[s]
            v0 = b[t + 1, s] if (merge or s % 2 == 0) else _NEG_INF
            v1 = b[t + 1, s + 1] if s + 1 < L else _NEG_INF
            v2 = _NEG_INF
            if s + 2 < L and s % 2 == 1 and (ext[s + 2] != c or not merge):
                v2 = b[t + 1, s + 2]
            v = _lse3(v0, v1, v2)
            b[t, s] = v + lp[t, n, c] if v != _NEG_INF else _NEG_INF
    return b


_TINY = 1e-300
_EXP_MAX = 650.0
_DROP_NATS = 650.0


@njit(cache=True)
def _used_classes(ext, C):
    """The distinct classes of an extended label sequence (the only ones the recursion reads)."""
    seen = np.zeros(C, np.bool_)
    out = np.empty(ext.shape[0], np.int64)
    k = 0
    for s in range(ext.shape[0]):
        c = ext[s]
        if not seen[c]:
            seen[c] = True
            out[k] = c
            k += 1
    return out[:k]


@njit(cache=True)
def _class_probs(lp, t, n, pc, used):
    """pc[c] = exp(lp[t, n, c] - m) for the used classes, m their max log-probability (-inf if
    none is finite); returns m and how many possible classes underflowed to 0."""
    m = _NEG_INF
    for c in used:
        v = float(lp[t, n, c])
        if v > m:
            m = v
    lost = 0
    for c in used:
        v = float(lp[t, n, c])
        p = math.exp(v - m) if m != _NEG_INF else 0.0
        if p == 0.0 and v != _NEG_INF:
            lost += 1
        pc[c] = p
    return m, lost


@njit(cache=True)
def _moves(ext, merge):
    """Per state: 1.0 where it may stay on itself, and 1.0 where it may be entered from two
    states back (skipping a blank between two different labels); 0.0 elsewhere."""
    L = ext.shape[0]
    stay = np.empty(L)
    skip = np.zeros(L + 2)  # two spare zeros: skip[s + 2] is the backward move from s
    for s in range(L):
        stay[s] = 1.0 if (merge or s % 2 == 0) else 0.0
        if s >= 2 and s % 2 == 1 and (ext[s - 2] != ext[s] or not merge):
            skip[s] = 1.0
    return stay, skip


@njit(cache=True)
def _finish_row(row, base, lo, hi, L, r):
    """Divide row[base + lo : base + hi] by its max r (dropping values under _TINY) and zero the
    rest of the L states; returns the count of dropped values."""
    drops = 0
    inv = 1.0 / r
    for s in range(lo, hi):
        q = row[base + s] * inv
        if q < _TINY:
            if q != 0.0:
                drops += 1
            q = 0.0
        row[base + s] = q
    for s in range(0, lo):
        row[base + s] = 0.0
    for s in range(hi, L):
        row[base + s] = 0.0
    return drops


@njit(cache=True)
def _alpha_scaled(lp, n, tin, ext, merge, A, off, pc):
    """Scaled alpha rows (max 1): state s of frame t at A[t, s + 2] (two zero columns in front,
    so the recursion needs no bounds tests), with the rows' log offsets; the count of dropped
    values, or -1 if a row dies out."""
    L = ext.shape[0]
    drops = 0
    used = _used_classes(ext, pc.shape[0])
    stay, skip = _moves(ext, merge)
    m, lost = _class_probs(lp, 0, n, pc, used)
    drops += lost * L
    for s in range(L + 2):
        A[0, s] = 0.0
    A[0, 2] = pc[ext[0]]
    if L > 1:
        A[0, 3] = pc[ext[1]]
    r = max(A[0, 2], A[0, 3]) if L > 1 else A[0, 2]
    if r == 0.0:
        return -1
    drops += _finish_row(A[0], 2, 0, min(L, 2), L, r)
    off[0] = m + math.log(r)
    for t in range(1, tin):
        m, lost = _class_probs(lp, t, n, pc, used)
        drops += lost * L
        # states that can still reach the end in the frames left, and that are reachable yet
        lo = max(0, L - 2 * (tin - t))
        hi = min(L, 2 * (t + 1))
        prev, row = A[t - 1], A[t]
        r = 0.0
        for s in range(lo, hi):
            v = stay[s] * prev[s + 2] + prev[s + 1] + skip[s] * prev[s]
            p = v * pc[ext[s]]
            # an absolute probability under e^-690 (offsets <= 0, values <= 3): a counted drop
            if p < _TINY and v != 0.0 and pc[ext[s]] != 0.0:
                drops += 1
                p = 0.0
            row[s + 2] = p
            r = max(r, p)
        if r == 0.0:
            return -1
        drops += _finish_row(row, 2, lo, hi, L, r)
        off[t] = off[t - 1] + m + math.log(r)
    return drops


@njit(cache=True)
def _beta_scaled(lp, n, tin, ext, merge, B, off, pc):
    """Scaled beta rows (max 1, emission at t included): state s of frame t at B[t, s] (two
    zero columns behind), with the rows' log offsets; the count of dropped values, or -1 if a
    row dies out."""
    L = ext.shape[0]
    drops = 0
    used = _used_classes(ext, pc.shape[0])
    stay, skip = _moves(ext, merge)
    last = tin - 1
    m, lost = _class_probs(lp, last, n, pc, used)
    drops += lost * L
    for s in range(L + 2):
        B[last, s] = 0.0
    B[last, L - 1] = pc[ext[L - 1]]
    if L > 1:
        B[last, L - 2] = pc[ext[L - 2]]
    r = max(B[last, L - 1], B[last, L - 2]) if L > 1 else B[last, L - 1]
    if r == 0.0:
        return -1
    drops += _finish_row(B[last], 0, max(0, L - 2), L, L, r)
    off[last] = m + math.log(r)
    for t in range(tin - 2, -1, -1):
        m, lost = _class_probs(lp, t, n, pc, used)
        drops += lost * L
        lo = max(0, L - 2 * (tin - t))
        hi = min(L, 2 * (t + 1))
        nxt, row = B[t + 1], B[t]
        r = 0.0
        for s in range(lo, hi):
            v = stay[s] * nxt[s] + nxt[s + 1] + skip[s + 2] * nxt[s + 2]
            p = v * pc[ext[s]]
            if p < _TINY and v != 0.0 and pc[ext[s]] != 0.0:
                drops += 1
                p = 0.0
            row[s] = p
            r = max(r, p)
        if r == 0.0:
            return -1
        drops += _finish_row(row, 0, lo, hi, L, r)
        off[t] = off[t + 1] + m + math.log(r)
    return drops


@njit(cache=True)
def _nll_scaled(A, off, tin, L):
    v = A[tin - 1, L + 1]
    if L > 1:
        v += A[tin - 1, L]
    if v == 0.0:
        return np.inf
    return -(off[tin - 1] + math.log(v))


@njit(cache=True, inline="always")
def _exact_enough(nll: float, drops: int) -> bool:
    """Whether dropped states may be ignored: each carried at most e^-690 of probability, so
    they change a likelihood of e^-nll by a relative amount under 1e-17 while nll stays below
    ~650 nats (less the log of their count). Larger losses take the exact recursion."""
    if nll == np.inf or drops < 0:
        return False
    return drops == 0 or nll + math.log(drops) < _DROP_NATS


@njit(cache=True)
def _nll_one(lp, n, tin, ext, merge, A, off, pc):
    """(loss of batch element n, whether A/off hold its scaled alpha): the scaled recursion,
    or the log-space one when the scaled one finds no way to the end."""
    L = ext.shape[0]
    if tin == 0:
        return (0.0 if L == 1 else np.inf), False
    drops = _alpha_scaled(lp, n, tin, ext, merge, A, off, pc)
    if drops >= 0:
        v = _nll_scaled(A, off, tin, L)
        if _exact_enough(v, drops):
            return v, True
    # impossible, or lost with the dropped states: the exact recursion decides
    return _nll(_alpha(lp, n, tin, ext, merge), tin, L), False


@njit(cache=True)
def _nll(a, tin, L):
    if tin == 0:
        return 0.0 if L == 1 else np.inf
    v = a[tin - 1, L - 1]
    if L > 1:
        v = _lse2(v, a[tin - 1, L - 2])
    return -v


@njit(cache=True, parallel=True)
def ctc_forward(lp, targets, in_len, tgt_len, blank, collapse, merge, zero_inf):
    """Negative log-likelihood per batch element of `lp` (T, N, C) log-probabilities."""
    T, N, C = lp.shape
    S = targets.shape[1]
    out = np.empty(N, lp.dtype)
    for u in prange(N):
        # prange's index may be unsigned: one int64 type keeps one compiled variant of each
        # helper, the one Python calls (and the tests) compile too
        n = np.int64(u)
        ext = _extended(targets, n, tgt_len[n], blank, collapse)
        A = np.zeros((max(T, 1), 2 * S + 3))  # the pad columns stay 0
        off = np.empty(max(T, 1))
        pc = np.empty(C)
        v, _ = _nll_one(lp, n, in_len[n], ext, merge, A, off, pc)
        if zero_inf and v == np.inf:
            v = 0.0
        out[n] = v
    return out


@njit(cache=True)
def _backward_log(lp, n, tin, ext, merge, nll, gn, out):
    """The gradient of one batch element by the plain log-space recursion."""
    C = lp.shape[2]
    L = ext.shape[0]
    a = _alpha(lp, n, tin, ext, merge)
    b = _beta(lp, n, tin, ext, merge)
    acc = np.empty(C)
    for t in range(tin):
        for c in range(C):
            acc[c] = 0.0
        # posteriors summed in linear space: each term is a probability (no overflow)
        for s in range(L):
            c = ext[s]
            acc[c] += math.exp(a[t, s] + b[t, s] + nll - lp[t, n, c])
        for c in range(C):
            if acc[c] != 0.0:
                out[t, n, c] = -gn * acc[c]


@njit(cache=True)
def _backward_scaled(lp, n, tin, ext, merge, nll, gn, out, A, aoff, B, boff, pc):
    """The gradient of one batch element from scaled alpha (given) and beta; False to retry."""
    C = lp.shape[2]
    L = ext.shape[0]
    if not _exact_enough(nll, _beta_scaled(lp, n, tin, ext, merge, B, boff, pc)):
        return False
    acc = np.empty(C)
    for t in range(tin):
        for c in range(C):
            acc[c] = 0.0
        base = aoff[t] + boff[t] + nll
        for s in range(L):
            a, b = A[t, s + 2], B[t, s]
            if a != 0.0 and b != 0.0:
                # posterior = a * b * e^(base - lp): with the factor under e^650, a product
                # that underflows stands for a posterior under e^-59, so nothing is lost
                if base - float(lp[t, n, ext[s]]) > _EXP_MAX:
                    return False
                acc[ext[s]] += a * b
        for c in range(C):
            if acc[c] != 0.0:
                out[t, n, c] = -gn * acc[c] * math.exp(base - float(lp[t, n, c]))
    return True


@njit(cache=True, parallel=True)
def ctc_backward(lp, targets, in_len, tgt_len, g, blank, collapse, merge, zero_inf):
    """d(sum_n g[n] * nll[n]) / d lp: minus g times the posterior of each (t, class)."""
    T, N, C = lp.shape
    S = targets.shape[1]
    out = np.zeros((T, N, C), lp.dtype)
    for u in prange(N):
        n = np.int64(u)  # one index type for the helpers (see ctc_forward)
        tin = in_len[n]
        ext = _extended(targets, n, tgt_len[n], blank, collapse)
        A = np.zeros((max(T, 1), 2 * S + 3))  # the pad columns stay 0
        aoff = np.empty(max(T, 1))
        pc = np.empty(C)
        nll, scaled = _nll_one(lp, n, tin, ext, merge, A, aoff, pc)
        if nll == np.inf and zero_inf:
            continue
        gn = float(g[n])
        if nll == np.inf:  # no alignment: every posterior is 0 / 0
            for t in range(tin):
                for c in range(C):
                    out[t, n, c] = np.nan
            continue
        B = np.zeros((max(T, 1), 2 * S + 3))
        boff = np.empty(max(T, 1))
        if not (scaled and _backward_scaled(lp, n, tin, ext, merge, nll, gn, out, A, aoff,
                                            B, boff, pc)):  # fmt: skip
            for t in range(tin):
                for c in range(C):
                    out[t, n, c] = 0.0
            _backward_log(lp, n, tin, ext, merge, nll, gn, out)
    return out
