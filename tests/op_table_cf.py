"""Op-table rows of the graph frontend's control-flow primitives (frontends/graph/_cf_prims.py).

Importing the module registers them, so the generic op-table tests cover them.
"""

from __future__ import annotations

import duograd.frontends.graph._cf_prims  # noqa: F401  (registers the primitives)
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
