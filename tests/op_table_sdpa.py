"""Op-table rows of the fused scaled-dot-product attention (sdpa) and its VJP (sdpa_grad)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

# (batch axes, L, S, d, dv, mask kind)
CASES = [
    ((2,), 3, 4, 2, 3, None),
    ((2, 2), 3, 3, 2, 2, "causal"),
    ((1, 2), 2, 3, 3, 2, "additive"),
    ((2,), 3, 2, 2, 2, "bool"),
    ((2,), 3, 4, 2, 3, "dropout"),
]


def _operands(rng, dt, batch, length, source, d, dv, kind):
    q = rng.uniform(-1, 1, batch + (length, d)).astype(dt)
    k = rng.uniform(-1, 1, batch + (source, d)).astype(dt)
    v = rng.uniform(-1, 1, batch + (source, dv)).astype(dt)
    if kind == "additive":
        mask = rng.uniform(-1, 1, (length, source)).astype(dt)
    elif kind == "bool":
        mask = np.zeros((length, source), bool)
        mask[:, -1] = True
    else:
        mask = np.zeros((), dt)
    params = {"scale": 0.7, "has_mask": kind in ("additive", "bool"), "causal": kind == "causal"}
    params["keep"] = 1.0
    drop = np.zeros((), bool)
    if kind == "dropout":
        params["keep"] = 0.75
        drop = rng.random(batch + (length, source)) < 0.75
    return (q, k, v, mask, drop), params


def _fwd(rng, dt):
    return [Sample(*_operands(rng, dt, *c)) for c in CASES]


def _grad(rng, dt):
    out = []
    for c in CASES:
        (q, k, v, mask, drop), params = _operands(rng, dt, *c)
        g = rng.standard_normal(q.shape[:-1] + (v.shape[-1],)).astype(dt)
        out.append(Sample((g, q, k, v, mask, drop), params))
    return out


def _drop_mask(rng, dt):
    q = rng.uniform(-1, 1, (2, 3, 2)).astype(dt)
    k = rng.uniform(-1, 1, (2, 4, 2)).astype(dt)
    return [Sample((q, k), {"keep": 0.75})]


ROWS_EXTRA: list[OpRow] = [
    OpRow("sdpa", _fwd, rtol32=2e-5),
    OpRow("sdpa_grad", _grad, grad=False, rtol32=2e-4),
    OpRow("attention_dropout_mask", _drop_mask, grad=False, random=True),
]
