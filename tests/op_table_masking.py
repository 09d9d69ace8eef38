"""Op-table rows of the boolean-mask primitives (core/primitives/masking.py)."""

from __future__ import annotations

import duograd.core.primitives.masking  # noqa: F401  (registers them)
import numpy as np
from op_table import OpRow, Sample


def _boolean_mask(rng, dt):
    x = rng.uniform(-2, 2, (4, 3)).astype(dt)
    return [
        Sample((x, np.array([True, False, True, True])), {"axis": 0}),
        Sample((x, rng.uniform(size=(4, 3)) > 0.5), {"axis": 0}),
        Sample((x, np.array([False, True, True])), {"axis": 1}),
    ]


def _boolean_mask_grad(rng, dt):
    like = np.zeros((4, 3), dt)
    m = np.array([True, False, True, True])
    return [Sample((rng.uniform(-2, 2, (3, 3)).astype(dt), like, m), {"axis": 0})]


ROWS_EXTRA = [
    OpRow("boolean_mask", _boolean_mask),
    OpRow("boolean_mask_grad", _boolean_mask_grad),
]
