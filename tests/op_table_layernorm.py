"""Op-table rows of the fused layer norm (layer_norm_fused) and its VJP (layer_norm_grad)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample

# (x shape, normalised trailing axes, has scale, has offset); 300 crosses the 128-element
# summation blocks, 70 rows cross the 32-row blocks of the parameter gradients
CASES = [
    ((3, 5), 1, True, True),
    ((2, 3, 4), 2, True, False),
    ((4, 6), 1, False, True),
    ((2, 300), 1, True, True),
    ((70, 3), 1, True, True),
    ((0, 4), 1, True, True),
    ((5,), 1, False, False),
]


def _operands(rng, dt, shape, naxes, has_s, has_o):
    x = rng.uniform(-2, 2, shape) + rng.uniform(-1, 1, shape[: len(shape) - naxes] + (1,) * naxes)
    tail = shape[len(shape) - naxes :]
    s = rng.uniform(0.5, 1.5, tail).astype(dt) if has_s else np.zeros((), dt)
    o = rng.uniform(-1, 1, tail).astype(dt) if has_o else np.zeros((), dt)
    params = {"eps": 1e-5, "naxes": naxes, "has_scale": has_s, "has_offset": has_o}
    return x.astype(dt), s, o, params


def _fwd(rng, dt):
    out = []
    for c in CASES:
        x, s, o, params = _operands(rng, dt, *c)
        out.append(Sample((x, s, o), params))
    return out


def _grad(rng, dt):
    out = []
    for c in CASES:
        x, s, _, params = _operands(rng, dt, *c)
        g = rng.standard_normal(x.shape).astype(dt)
        del params["has_offset"]
        out.append(Sample((g, x, s), params))
    return out


ROWS_EXTRA: list[OpRow] = [
    OpRow("layer_norm_fused", _fwd, rtol32=2e-5),
    OpRow("layer_norm_grad", _grad, rtol32=2e-4),
]
