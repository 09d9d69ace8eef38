"""Op-table rows of atan2, hypot, copysign, fmod, asinh, acosh, atanh, erfc and signbit."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample, _binary, _unary


def _fmod(rng, dt):
    # divisors away from zero, quotients away from the integer steps of trunc
    out = []
    for shape_b in [(3, 4), (4,)]:
        b = rng.uniform(0.6, 1.4, size=shape_b) * rng.choice([-1.0, 1.0], size=shape_b)
        q = rng.integers(-3, 4, size=(3, 4)) + rng.uniform(0.2, 0.8, size=(3, 4))
        out.append(Sample(((q * b).astype(dt), b.astype(dt))))
    return out


def _nonzero_binary(rng, dt):
    # away from the origin, where atan2's and hypot's slopes are undefined
    return [
        Sample(tuple(np.where(np.abs(v) < 0.2, 0.5, v).astype(dt) for v in s.args))
        for s in _binary()(rng, dt)
    ]


def _signs(rng, dt):
    a = rng.uniform(-2, 2, size=(3, 4)).astype(dt)
    a = np.where(np.abs(a) < 0.1, 0.5, a).astype(dt)
    b = rng.uniform(0.3, 2, size=(4,)) * np.array([-1.0, 1.0, -1.0, 1.0])
    return [Sample((a, b.astype(dt))), Sample((a[:, :1], b.astype(dt)))]


def _signbit(rng, dt):
    special = np.array([-1.0, -0.0, 0.0, 2.0, -np.inf], dt)
    return [Sample((special,)), Sample((rng.normal(size=(3, 4)).astype(dt),))]


ROWS_EXTRA: list[OpRow] = [
    OpRow("atan2", _nonzero_binary),
    OpRow("hypot", _nonzero_binary),
    OpRow("copysign", _signs),
    OpRow("fmod", _fmod),
    OpRow("asinh", _unary()),
    OpRow("acosh", _unary(1.2, 3.0)),
    OpRow("atanh", _unary(-0.9, 0.9)),
    OpRow("erfc", _unary()),
    OpRow("signbit", _signbit, grad=False),
]
