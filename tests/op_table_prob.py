"""Op-table rows of the Gamma-family primitives (lgamma, digamma, polygamma, gamma draws and
their implicit reparameterisation)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

SHAPES = [(3, 4), (), (0,), (2, 3)]


def _positive(lo: float = 0.3, hi: float = 6.0, **params):  # noqa: D103
    def make(rng, dt):
        return [
            Sample((np.asarray(rng.uniform(lo, hi, size=s)).astype(dt),), dict(params))
            for s in SHAPES
        ]

    return make


def _lgamma(rng, dt):
    out = _positive()(rng, dt)
    # negative arguments away from the poles (lgamma is log |Gamma|)
    neg = -rng.uniform(0.2, 0.8, size=(5,)) - rng.integers(0, 3, size=(5,))
    return out + [Sample((neg.astype(dt),))]


def _polygamma(rng, dt):
    return (
        _positive(n=1)(rng, dt) + _positive(n=2)(rng, dt)[:2] + _positive(0.5, 3, n=3)(rng, dt)[:1]
    )


def _grad(rng, dt):
    out = []
    for s in SHAPES[:2]:
        a = np.asarray(rng.uniform(0.2, 8.0, size=s))
        x = np.asarray(rng.gamma(a))
        out.append(Sample((np.maximum(x, 1e-3).astype(dt), a.astype(dt))))
    return out


def _transport(rng, dt):
    out = []
    for s in SHAPES:
        a = np.asarray(rng.uniform(0.2, 8.0, size=s))
        x = np.asarray(np.maximum(rng.gamma(a), 1e-2))
        out.append(Sample((a.astype(dt), x.astype(dt), a.astype(dt).copy())))
    return out


def _igamma(rng, dt):
    out = []
    for sa, sx in [((3, 4), (3, 4)), ((4,), (3, 4)), ((), (5,)), ((0,), (0,))]:
        a = np.asarray(rng.uniform(0.3, 6.0, size=sa)).astype(dt)
        x = np.asarray(rng.uniform(0.05, 9.0, size=sx)).astype(dt)
        out.append(Sample((a, x)))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("igamma", _igamma, rtol32=1e-5),
    OpRow("igamma_da", _igamma, dtypes=(np.float32,), grad=False, rtol32=1e-4),
    OpRow("lgamma", _lgamma),
    OpRow("digamma", _positive()),
    OpRow("polygamma", _polygamma),
    OpRow("random_gamma", _positive(0.05, 10.0), grad=False, random=True),
    # the reference is scipy's inverse by central differences (about 1e-9 relative)
    OpRow("gamma_grad", _grad, dtypes=(np.float32,), grad=False, rtol32=1e-5),
    OpRow("gamma_transport", _transport),
]
