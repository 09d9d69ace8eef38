"""Op-table rows of the sparse-dense primitives (spmm, sddmm)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _coo(rng, m, k, nnz):
    rows = rng.integers(0, m, nnz).astype(np.int64)
    cols = rng.integers(0, k, nnz).astype(np.int64)
    return rows, cols


def _spmm(rng, dt):
    rows, cols = _coo(rng, 5, 4, 9)
    values = rng.standard_normal(9).astype(dt)
    dense = rng.standard_normal((4, 3)).astype(dt)
    return [Sample((rows, cols, values, dense), {"n_rows": 5})]


def _sddmm(rng, dt):
    rows, cols = _coo(rng, 5, 4, 7)
    return [
        Sample(
            (
                rows,
                cols,
                rng.standard_normal((5, 3)).astype(dt),
                rng.standard_normal((4, 3)).astype(dt),
            )
        )
    ]


ROWS_EXTRA = [OpRow("spmm", _spmm), OpRow("sddmm", _sddmm)]
