"""Op-table rows of the rounding primitives (zero gradient), sampled off their jumps (the values
at ties are checked in tests/core/test_degenerate_grads.py)."""

from __future__ import annotations

import numpy as np
from op_table import OpRow, Sample


def _off_jumps(rng, dt):
    """Values at least 0.1 from every integer and half-integer, so differences see no jump."""
    out = []
    for shape in [(3, 4), (), (0,), (2, 3, 4)]:
        base = rng.integers(-4, 4, size=shape) + rng.choice([0.2, 0.3, 0.7, 0.8], size=shape)
        out.append(Sample((np.asarray(base).astype(dt),)))
    base = (rng.integers(-4, 4, size=(4, 5)) + 0.25).astype(dt)
    out.append(Sample((base.T,)))  # a non-contiguous view
    return out


ROWS_EXTRA = [
    OpRow("floor", _off_jumps),
    OpRow("ceil", _off_jumps),
    OpRow("round", _off_jumps),
    OpRow("trunc", _off_jumps),
]


def _bounded(rng, dt):
    """Indices inside their bounds (the check passes; the primitive hands them back)."""
    return [
        Sample((rng.integers(0, 3, size=(4, 2)),),
               {"op": "gather_nd", "arg": "indices", "sizes": (3, 4), "last": True, "low": 0}),
        Sample((np.asarray([0, -1, 2]),),
               {"op": "unsorted_segment_sum", "arg": "segment_ids", "sizes": (3,),
                "last": False, "low": None}),
    ]  # fmt: skip


ROWS_EXTRA.append(OpRow("index_bounds", _bounded, dtypes=(np.int64,), grad=False))
