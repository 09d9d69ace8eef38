"""Op-table rows of the batch-norm primitives (training statistics, normalise, backward sums,
and inference with given statistics)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

# (input shape, channel axis): NCHW, NHWC, (N, C), (N, C, L), channels first of all
CASES = [((2, 3, 4, 5), 1), ((2, 4, 5, 3), 3), ((6, 2), 1), ((3, 2, 7), 1), ((3, 4, 2), 0)]
EPS = 1e-3


def _r(rng, shape, dt):
    return rng.uniform(-1.0, 1.0, size=shape).astype(dt)


def _stats_of(x, axis):
    f = np.moveaxis(x.astype(np.float64), axis, -1).reshape(-1, x.shape[axis])
    var = f.var(0)
    return np.stack([f.mean(0), var, 1.0 / np.sqrt(var + EPS)]).astype(x.dtype)


def _stats(rng, dt):
    return [Sample((_r(rng, s, dt),), {"axis": a, "eps": EPS}) for s, a in CASES]


def _apply(rng, dt):
    out = []
    for k, (s, a) in enumerate(CASES):
        x = _r(rng, s, dt)
        c = s[a]
        scale = rng.uniform(0.5, 1.5, () if k == 2 else (c,)).astype(dt)
        offset = _r(rng, () if k == 3 else (c,), dt)
        out.append(Sample((x, _stats_of(x, a), scale, offset), {"axis": a}))
    return out


def _reduce_grad(rng, dt):
    out = []
    for s, a in CASES:
        x = _r(rng, s, dt)
        out.append(Sample((_r(rng, s, dt), x, _stats_of(x, a)), {"axis": a}))
    return out


def _stats_grad(rng, dt):
    out = []
    for s, a in CASES:
        x = _r(rng, s, dt)
        out.append(Sample((_r(rng, (3, s[a]), dt), x, _stats_of(x, a)), {"axis": a}))
    return out


def _infer(rng, dt):
    out = []
    for s, a in CASES:
        c = s[a]
        vecs = [_r(rng, (c,), dt), rng.uniform(0.2, 2.0, c).astype(dt)]
        vecs += [rng.uniform(0.5, 1.5, c).astype(dt), _r(rng, (c,), dt)]
        out.append(Sample((_r(rng, s, dt), *vecs), {"axis": a, "eps": EPS}))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("batch_norm_infer", _infer, rtol32=1e-5),
    OpRow("batch_norm_stats", _stats, rtol32=1e-5),
    OpRow("batch_norm_apply", _apply, rtol32=1e-5),
    OpRow("batch_norm_reduce_grad", _reduce_grad, rtol32=1e-5),
    OpRow("batch_norm_stats_grad", _stats_grad, rtol32=1e-5),
]
