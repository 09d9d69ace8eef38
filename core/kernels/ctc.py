"""CTC loss kernels: the forward-backward recursion in log space, parallel over the batch.

Each batch element is independent, so `prange` splits the batch (never a reduction): every
loss and gradient entry is summed in a fixed order whatever the thread count. Sums run in
float64 and are rounded once into the operand dtype.
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
    N = lp.shape[1]
    out = np.empty(N, lp.dtype)
    for n in prange(N):
        ext = _extended(targets, n, tgt_len[n], blank, collapse)
        a = _alpha(lp, n, in_len[n], ext, merge)
        v = _nll(a, in_len[n], ext.shape[0])
        if zero_inf and v == np.inf:
            v = 0.0
        out[n] = v
    return out


@njit(cache=True, parallel=True)
def ctc_backward(lp, targets, in_len, tgt_len, g, blank, collapse, merge, zero_inf):
    """d(sum_n g[n] * nll[n]) / d lp: minus g times the posterior of each (t, class)."""
    T, N, C = lp.shape
    out = np.zeros((T, N, C), lp.dtype)
    for n in prange(N):
        tin = in_len[n]
        ext = _extended(targets, n, tgt_len[n], blank, collapse)
        L = ext.shape[0]
        a = _alpha(lp, n, tin, ext, merge)
        nll = _nll(a, tin, L)
        if nll == np.inf and zero_inf:
            continue
        b = _beta(lp, n, tin, ext, merge)
        acc = np.empty(C)
        gn = float(g[n])
        if nll == np.inf:  # no alignment: every posterior is 0 / 0
            for t in range(tin):
                for c in range(C):
                    out[t, n, c] = np.nan
            continue
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
    return out
