"""Op-table rows of the control-flow primitives (core/primitives/runtime_shapes.py).

Importing the module registers them, so the generic op-table tests cover them.
"""

from __future__ import annotations

import duograd.core.primitives.runtime_shapes  # noqa: F401
import numpy as np
from op_table import OpRow, Sample


def _as_scalar(rng, dt):
    return [Sample((np.asarray(rng.uniform(-2, 2), dt),), {"op": "t"}) for _ in range(3)]


def _arange(rng, dt):
    return [
        Sample((np.asarray(a, dt), np.asarray(b, dt), np.asarray(c, dt)), {"dtype": np.dtype(dt)})
        for a, b, c in ((0, 5, 1), (1.5, 7, 2), (6, -1, -1.5), (3, 3, 1))
    ]


ROWS_EXTRA = [
    OpRow("as_scalar", _as_scalar, grad=False),
    OpRow("arange", _arange, grad=False),
]


def _with_shape(rng, dt):
    return [
        Sample((rng.uniform(-2, 2, s).astype(dt),), {"shape": w, "op": "t"})
        for s, w in (((3, 4), (None, 4)), ((2,), (2,)), ((1, 3), (1, None)))
    ]


def _random_normal_dynamic(rng, dt):
    return [
        Sample((np.asarray(s, np.int32),), {"dtype": np.dtype(dt), "mean": 0.5, "std": 2.0})
        for s in ((3, 4), (5,))
    ]


def _random_uniform_dynamic(rng, dt):
    return [
        Sample((np.asarray(s, np.int32),), {"dtype": np.dtype(dt), "low": -1.0, "high": 3.0})
        for s in ((3, 4), (5,))
    ]


ROWS_EXTRA += [
    OpRow("with_shape", _with_shape),
    OpRow("random_normal_dynamic", _random_normal_dynamic, grad=False, random=True),
    OpRow("random_uniform_dynamic", _random_uniform_dynamic, grad=False, random=True),
]
