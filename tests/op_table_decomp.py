"""Op-table rows of svd, svdvals, eigh, eigvalsh and qr (samples with well-separated spectra)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _separated(rng, dt, m, n, *batch):
    """A matrix with singular values 1..k spread apart (distinct, away from 0)."""
    k = min(m, n)
    u, _ = np.linalg.qr(rng.normal(size=(*batch, m, m)))
    v, _ = np.linalg.qr(rng.normal(size=(*batch, n, n)))
    s = np.zeros((*batch, m, n))
    idx = np.arange(k)
    s[..., idx, idx] = 1.0 + 0.7 * idx
    return (u @ s @ np.swapaxes(v, -1, -2)).astype(dt)


def _rect(rng, dt):
    return [Sample((_separated(rng, dt, 4, 3),)), Sample((_separated(rng, dt, 3, 5, 2),)),
            Sample((_separated(rng, dt, 3, 3),))]  # fmt: skip


def _svd(rng, dt):
    out = [Sample(s.args, {"full_matrices": False}) for s in _rect(rng, dt)]
    # full_matrices=True on a square input: the extra columns of a rectangular one are arbitrary
    # and carry no gradient (as in torch), which finite differences cannot confirm
    return out + [Sample((_separated(rng, dt, 3, 3, 2),), {"full_matrices": True})]


def _sym(rng, dt):
    a = _separated(rng, dt, 4, 4)
    b = _separated(rng, dt, 3, 3, 2)
    return [Sample(((a + a.T) / 2 + np.diag([0.0, 1.0, 2.5, 4.0]).astype(dt),)),
            Sample(((b @ np.swapaxes(b, -1, -2)).astype(dt),))]  # fmt: skip


def _qr(rng, dt):
    out = [Sample(s.args, {"complete": False}) for s in _rect(rng, dt)]
    return out + [Sample((_separated(rng, dt, 3, 5),), {"complete": True})]


ROWS_EXTRA: list[OpRow] = [
    OpRow("svd", _svd, rtol32=1e-4),
    OpRow("svdvals", _rect, rtol32=1e-5),
    OpRow("eigh", _sym, rtol32=1e-4),
    OpRow("eigvalsh", _sym, rtol32=1e-5),
    OpRow("qr", _qr, rtol32=1e-4),
]


def _signs(rng, dt):
    return [Sample((_separated(rng, dt, 3, 3),)), Sample((-_separated(rng, dt, 2, 2, 3),))]


ROWS_EXTRA.append(OpRow("det_sign", _signs))
