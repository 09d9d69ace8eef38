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


def _inside_extents(rng, dt):
    """Blocks inside their tensor, and split sizes covering their axis (the check passes)."""
    x = rng.uniform(-2, 2, size=(3, 4)).astype(dt)
    return [
        Sample((x,), {"op": "slice", "begin": (1, 0), "size": (2, None), "exact": False,
                      "parts": ()}),
        Sample((x,), {"op": "split", "begin": (0, 0), "size": (None, 4), "exact": True,
                      "parts": (1, 3)}),
        Sample((x[:0],), {"op": "narrow", "begin": (0, 2), "size": (None, 2), "exact": False,
                          "parts": ()}),
    ]  # fmt: skip


def _probabilities(rng, dt):
    """Probabilities inside [0, 1] (the ends: tests/edges/test_guards_in_record.py)."""
    p = rng.uniform(0.1, 0.9, size=(3, 4)).astype(dt)
    return [
        Sample((p,), {"op": "binary_cross_entropy", "arg": "input"}),
        # the ends 0 and 1 are inside too, but a finite difference would step past them
        Sample(
            (np.asarray([0.25, 0.75, 0.5], dt),), {"op": "binary_cross_entropy", "arg": "input"}
        ),
    ]


def _classes(rng, dt):
    """Class values inside [0, num_classes) (and an empty batch)."""
    return [
        Sample((rng.integers(0, 5, size=(4, 2)),), {"op": "one_hot", "num_classes": 5}),
        Sample((np.zeros(0, np.int64),), {"op": "one_hot", "num_classes": 3}),
    ]


def _divisors(rng, dt):
    """Integer divisors without a zero (and an empty one)."""
    return [
        Sample((rng.integers(1, 5, size=(4, 2)),), {"op": "floordiv"}),
        Sample((np.zeros(0, np.int64),), {"op": "truncatemod"}),
    ]


ROWS_EXTRA += [
    OpRow("extent_bounds", _inside_extents),
    OpRow("nonzero_divisor", _divisors, dtypes=(np.int64,), grad=False),
    OpRow("unit_interval", _probabilities),
    OpRow("class_values", _classes, dtypes=(np.int64,), grad=False),
]
