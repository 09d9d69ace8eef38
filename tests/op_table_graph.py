"""Op-table rows of the run-time-shape primitives (core/primitives/dynamic.py) and check_numerics.

Importing the module registers them, so the generic op-table tests cover them whether or not
another test imported the graph frontend first.
"""

from __future__ import annotations

import duograd.core  # noqa: F401  (registers every core primitive)
import numpy as np
from op_table import OpRow, Sample

SHAPES = [(3, 4), (2, 3, 2), (5,), ()]


def _r(rng, shape, dt):
    return rng.uniform(-2.0, 2.0, size=shape).astype(dt)


def _shape_of(rng, dt):
    return [
        Sample((_r(rng, s, dt),), {"out_type": np.dtype(o)})
        for s in SHAPES
        for o in (np.int32, np.int64)
    ]


def _rank_of(rng, dt):
    return [Sample((_r(rng, s, dt),)) for s in SHAPES]


def _reduce_all(rng, dt):
    return [
        Sample((_r(rng, s, dt),), {"op": op})
        for s in SHAPES
        for op in ("sum", "mean", "max", "min")
    ]


def _reshape_dynamic(rng, dt):
    return [
        Sample((_r(rng, (3, 4), dt), np.array([2, 6], np.int32))),
        Sample((_r(rng, (2, 3, 2), dt), np.array([-1, 2], np.int64))),
        Sample((_r(rng, (6,), dt), np.array([1, 6, 1], np.int32))),
    ]


def _fill_dynamic(rng, dt):
    return [
        Sample((np.array([2, 3], np.int32), np.asarray(1.5, dt))),
        Sample((np.array([4], np.int64), np.asarray(-2.0, dt))),
        Sample((np.array([], np.int32), np.asarray(7.0, dt))),
    ]


def _dropout_mask(rng, dt):
    return [Sample((_r(rng, (20, 10), dt), np.asarray(k, dt))) for k in (0.5, 0.9, 1.0)]


def _init_draw(rng, dt):
    return [
        Sample(
            (),
            {
                "kind": "glorot_uniform",
                "shape": (4, 3),
                "dtype": np.dtype(dt),
                "layout": "in_out",
                "a": 0.0,
            },
        ),
        Sample(
            (),
            {
                "kind": "kaiming_uniform",
                "shape": (3, 4),
                "dtype": np.dtype(dt),
                "layout": "out_in",
                "a": 5**0.5,
            },
        ),
    ]


def _integers(rng, dt):
    return [
        Sample((), {"shape": (5, 2), "low": -3, "high": 4, "dtype": np.dtype(np.int32)}),
        Sample((), {"shape": (7,), "low": 0, "high": 10, "dtype": np.dtype(np.int64)}),
    ]


def _check_numerics(rng, dt):
    return [Sample((_r(rng, s, dt),), {"message": "m", "tensor_name": "x:0"}) for s in SHAPES]


ROWS_EXTRA = [
    OpRow("shape_of", _shape_of, grad=False),
    OpRow("size_of", _shape_of, grad=False),
    OpRow("rank_of", _rank_of, grad=False),
    OpRow("count_all", _rank_of, grad=False),
    OpRow("reduce_all_axes", _reduce_all, rtol32=1e-5),
    OpRow("reshape_dynamic", _reshape_dynamic),
    OpRow("fill_dynamic", _fill_dynamic, grad=False),
    OpRow("dropout_mask_dynamic", _dropout_mask, grad=False, random=True),
    OpRow("init_draw", _init_draw, grad=False, random=True),
    OpRow("random_integers", _integers, dtypes=(np.float32,), grad=False, random=True),
    OpRow("check_numerics", _check_numerics),
]
