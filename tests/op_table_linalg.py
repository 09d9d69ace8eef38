"""Op-table rows of matrix_inverse, logabsdet and cholesky (well-conditioned samples)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _spd(rng, dt, *batch, n=3):
    a = rng.uniform(-1, 1, size=(*batch, n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dt)


def _wellcond(rng, dt):
    return [Sample((_spd(rng, dt) + rng.uniform(-0.3, 0.3, (3, 3)).astype(dt),)),
            Sample((_spd(rng, dt, 2, n=4),))]  # fmt: skip


def _spd_samples(rng, dt):
    return [Sample((_spd(rng, dt),)), Sample((_spd(rng, dt, 2, n=4),))]


ROWS_EXTRA: list[OpRow] = [
    OpRow("matrix_inverse", _wellcond, rtol32=1e-5),
    OpRow("logabsdet", _wellcond, rtol32=1e-5),
    OpRow("cholesky", _spd_samples, rtol32=1e-5),
]
