"""Op-table rows of the speech primitives: CTC loss and its gradient, sparse labels, decoders."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

_FLAGS = {"collapse": False, "merge": True, "zero_inf": False, "strict": False}


def _log_probs(rng, T, N, C, dt):
    x = rng.normal(size=(T, N, C))
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(dt)


def _ctc(rng, dt):
    """Small cases (the reference sums every alignment): repeats, an empty target, short
    inputs, an impossible alignment with zero_infinity, TF's collapse/merge options."""
    lp = _log_probs(rng, 5, 3, 3, dt)
    tg = np.array([[1, 1, 0], [2, 1, 2], [0, 0, 0]], np.int64)
    il, tl = np.array([5, 4, 3], np.int64), np.array([2, 3, 0], np.int64)
    out = [Sample((lp, tg, il, tl), {"blank": 0, **_FLAGS})]
    out.append(Sample((lp, tg, il, tl), {"blank": 0, **_FLAGS, "collapse": True, "merge": False}))
    # batch element 1 needs 3 frames but has 2: an infinite loss, zeroed
    il2 = np.array([5, 2, 3], np.int64)
    out.append(Sample((lp, tg, il2, tl), {"blank": 0, **_FLAGS, "zero_inf": True}))
    tg_last = np.array([[1, 0], [0, 1], [1, 1]], np.int64)
    out.append(Sample((lp, tg_last, il, np.array([2, 1, 2], np.int64)), {"blank": 2, **_FLAGS}))
    return out


def _ctc_grad(rng, dt):
    return [
        Sample(s.args + (rng.uniform(0.5, 1.5, 3).astype(dt),), s.params) for s in _ctc(rng, dt)
    ]


def _s2d(rng, dt):
    idx = np.array([[0, 1], [1, 0], [2, 2]], np.int64)
    vals = rng.normal(size=3).astype(dt)
    return [Sample((idx, vals, np.array([3, 4], np.int64)), {"default": 0})]


def _padded(rng, dt):
    d = np.array([[1, 2, -1], [-1, -1, -1], [3, -1, -1]], np.int64)
    return [Sample((d,), {"part": p}) for p in ("indices", "values", "shape")]


def _greedy(rng, dt):
    lp = _log_probs(rng, 6, 2, 4, dt)
    il = np.array([6, 3], np.int64)
    return [
        Sample((lp, il), {"blank": 3, "merge": m, "part": p})
        for m in (True, False)
        for p in ("labels", "score")
    ]


def _beam(rng, dt):
    lp = _log_probs(rng, 4, 2, 3, dt)
    il = np.array([4, 3], np.int64)
    ps = {"blank": 2, "merge": True, "width": 4, "top": 2}
    return [
        Sample((lp, il), {**ps, "k": k, "part": p}) for k in (0, 1) for p in ("labels", "score")
    ]


def _ed(rng, dt):
    h = (
        np.array([[0, 0], [0, 1], [1, 0]], np.int64),
        np.array([1, 2, 3], np.int64),
        np.array([2, 2], np.int64),
    )
    t = (
        np.array([[0, 0], [1, 0], [1, 1]], np.int64),
        np.array([1, 3, 3], np.int64),
        np.array([2, 2], np.int64),
    )
    return [Sample(h + t, {"normalize": n}) for n in (True, False)]


ROWS_EXTRA: list[OpRow] = [
    OpRow("ctc_loss", _ctc, rtol32=1e-5),
    OpRow("ctc_loss_grad", _ctc_grad, grad=False, rtol32=1e-5),
    OpRow("sparse_to_dense", _s2d, grad=False),
    OpRow("padded_to_sparse", _padded, grad=False),
    OpRow("ctc_greedy", _greedy, grad=False),
    OpRow("ctc_beam", _beam, grad=False),
    OpRow("edit_distance", _ed, grad=False),
]
