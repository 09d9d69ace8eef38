"""Op-table rows of scatter_sum (the one-scatter gradient of many slices)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _scatter_sum(rng, dt):
    like = np.zeros((4, 5), dt)

    def r(*shape):
        return rng.uniform(-2, 2, size=shape).astype(dt)

    return [
        Sample((like, r(5), r(5), r(5)), {"indexes": ((0,), (2,), (3,))}),
        Sample((like, r(2, 5), r(3, 5)), {"indexes": ((slice(0, 2),), (slice(1, 4),))}),
        Sample((like, r(4), r(3, 5)), {"indexes": ((slice(None), 1), (np.array([0, 2, 2]),))}),
    ]


ROWS_EXTRA: list[OpRow] = [OpRow("scatter_sum", _scatter_sum)]
