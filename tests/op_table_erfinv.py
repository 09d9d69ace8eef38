"""Op-table row of the inverse error function (normal quantiles)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _inside(rng, dt):
    # values inside (-1, 1), away from the ends where the derivative blows up, plus values
    # close to +-1 where the erfc form of the residual matters
    out = [Sample((rng.uniform(-0.95, 0.95, size=s).astype(dt),)) for s in [(3, 4), (), (0,)]]
    tails = np.array([-0.995, -0.99, 0.97, 0.993], np.float64)
    return out + [Sample((tails.astype(dt),))]


ROWS_EXTRA: list[OpRow] = [OpRow("erfinv", _inside)]
